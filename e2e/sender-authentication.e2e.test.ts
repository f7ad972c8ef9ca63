import { randomBytes } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliver, DMARC_STRICT_RECIPIENT } from '../test/mailstack/mailstack';
import { seriousViolations } from './support/axe';
import { openApp, TestApp } from './support/host';
import { card, fillStackChannel, LONG, seeText, testTrustAndCreate, waitForConnected } from './support/ui';

/**
 * A reply refused because the channel's From domain does not pass DMARC, with the real Postfix of
 * the test stack answering as a customer's server that checks sender authentication does
 * ("550 5.7.26 Unauthenticated email from auxilium.test …", see DMARC_STRICT_RECIPIENT). The agent
 * is told to ask the admin and nothing about DNS; the channel card tells the admin which records
 * of auxilium.test to add or fix, with no serious axe-core violations in light or dark mode.
 */

const stack = inject('mailstack');
const { support, customer } = stack.users;
const token = randomBytes(4).toString('hex');

function row(page: Page, subject: string): Locator {
  return page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(subject) });
}

describe('A reply refused over the sending domain (real mail)', () => {
  let app: TestApp;
  let page: Page;
  const subject = `Strict server ${token}`;
  const text = `Your answer ${token}`;

  beforeAll(async () => {
    app = await TestApp.start();
    ({ page } = await openApp(app.browser, app.host.url));
    const dialog = await fillStackChannel(page, stack, support, { fromName: 'Acme Support' });
    await dialog.getByRole('group', { name: 'Inbox Settings' }).getByLabel('Import existing mail').selectOption('none');
    await waitForConnected(await testTrustAndCreate(page, dialog));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('tells the agent to ask the admin, without DNS details', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^All\b/ })
      .click();
    // The customer wants answers at a mailbox whose server checks SPF/DKIM/DMARC.
    await deliver(stack, { from: customer.address, to: support.address, subject, text: 'Hello?', headers: { 'Reply-To': DMARC_STRICT_RECIPIENT } });
    await row(page, subject).click({ timeout: LONG });
    const region = page.getByRole('region', { name: subject, exact: true });
    await region.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
    await region.getByRole('textbox', { name: 'Message', exact: true }).press('Control+Enter');
    const failed = region.getByRole('article').filter({ hasText: text });
    await failed.locator('.delivery-badge').getByText('Failed', { exact: true }).waitFor({ timeout: LONG });
    await seeText(failed, 'Sending domain not authenticated');
    await seeText(
      failed.locator('.delivery-advice'),
      /^What you can do:\s*Ask your admin: the sending domain's DNS records need fixing, and the card under Channels → Support Email says which\./,
    );
    const shown = await failed.innerText();
    expect(shown).not.toMatch(/How to fix|Likely cause|_dmarc|v=spf1/);
  });

  it("names the records to add or fix for the From domain on the channel's card, for the admin", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
    const notices = card(page, 'Support Email').getByRole('list', { name: 'Server notices' });
    await seeText(notices, 'Replies are refused: auxilium.test does not pass SPF, DKIM, DMARC.');
    const records = notices.locator('.dns-fix-record');
    expect(await records.allInnerTexts()).toEqual([
      expect.stringMatching(/^Name\s+auxilium\.test\s+Type\s+TXT\s+Value\s+v=spf1 ip4:127\.0\.0\.1 ~all$/),
      expect.stringMatching(/^Name\s+<selector>\._domainkey\.auxilium\.test\s+Type\s+TXT$/),
      expect.stringMatching(/^Name\s+_dmarc\.auxilium\.test\s+Type\s+TXT\s+Value\s+v=DMARC1; p=none; rua=mailto:postmaster@auxilium\.test$/),
    ]);
    await seeText(notices, 'allows 127.0.0.1 to send its mail');
    await notices.getByText('What the server said').click();
    await seeText(notices, /550 5\.7\.26 .*Unauthenticated email from auxilium\.test/);
    await card(page, 'Support Email').screenshot({ path: 'test-results/channel-card-dns-fix.png' });
    for (const colorScheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await seriousViolations(page)).toEqual([]);
    }
  });
});
