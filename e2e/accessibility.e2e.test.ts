import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage, generateConversations, installFakeInbox } from './support/fake-inbox';
import { TestApp } from './support/host';
import { createDialog } from './support/ui';
import { seriousViolations } from './support/axe';

/**
 * axe-core, injected into the page, on the Channels page, the Create Channel dialog, the inbox and
 * an open conversation, in light and in dark mode (the app follows the system's colour scheme):
 * no serious or critical violations. The inbox side runs on the stand-in host so it has rows,
 * unread counts, a failed reply, a note, a quote and the customer panel to check.
 */

describe.each(['light', 'dark'] as const)('Accessibility in %s mode', (colorScheme) => {
  let app: TestApp;
  let page: Page;

  beforeAll(async () => {
    app = await TestApp.start();
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
    page = await context.newPage();
    await page.emulateMedia({ colorScheme });
    const inbox = await installFakeInbox(page, generateConversations(40));
    inbox.agents.push({ id: 1, name: 'Ada Lovelace', email: 'ada@auxilium.test' });
    inbox.meAgentId = 1;
    const c = inbox.conversations.find((x) => x.status === 'open')!;
    c.failedReplies = 1;
    // The customer wrote before: the customer panel lists that conversation.
    inbox.conversations.find((x) => x.id !== c.id && x.status === 'closed')!.customer = c.customer;
    addMessage(inbox, c.id, { text: 'Hello,\n\nwhere is my order?\n\nOn Mon, 1 Dec 2026, Acme wrote:\n> It ships soon.' });
    addMessage(inbox, c.id, {
      direction: 'note',
      from: { name: 'Ada Lovelace', address: 'ada@auxilium.test' },
      to: [],
      text: 'Checked the courier.',
      authorAgentId: 1,
    });
    addMessage(inbox, c.id, {
      direction: 'outbound',
      from: { name: 'Acme Support', address: 'support@auxilium.test' },
      to: [c.customer],
      text: 'It is **on its way**.',
      delivery: {
        state: 'failed',
        error: { code: 'MESSAGE_REJECTED', message: 'Message rejected', cause: 'SPF failure.', fix: 'Configure DNS records.', retryable: false },
        attempts: 1,
        nextAttemptAt: null,
        refused: [],
        filing: null,
      },
    });
    await page.goto(`${app.host.url}#/channels`);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('follows the system colour scheme', async () => {
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
    const light = (r! + g! + b!) / 3 > 128;
    expect(light).toBe(colorScheme === 'light');
  });

  it('has no serious violations on the Channels page', async () => {
    await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('has no serious violations in the Create Channel dialog', async () => {
    await page.getByRole('button', { name: 'Add Channel' }).first().click();
    const dialog = createDialog(page);
    await dialog.waitFor();
    await dialog.getByLabel('Channel Type').selectOption({ label: 'Email' });
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('has no serious violations in the inbox', async () => {
    await page.goto(`${app.host.url}#/inbox/all`);
    await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().waitFor();
    await page.getByRole('list', { name: 'Conversations' }).getByRole('checkbox').first().click();
    await page.getByRole('toolbar', { name: 'Bulk actions' }).getByText('1 selected').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('has no serious violations in an open conversation', async () => {
    const link = page.getByRole('list', { name: 'Conversations' }).getByRole('link').filter({ hasText: 'Reply not sent' }).first();
    await link.click();
    await page.getByRole('article').filter({ hasText: 'Checked the courier.' }).waitFor();
    await page.getByRole('button', { name: 'Show quoted text' }).click();
    const customer = page.getByRole('complementary', { name: /^Customer/ });
    await customer.getByRole('button', { name: /Customer/ }).click();
    await customer
      .getByRole('list', { name: /Other conversations/ })
      .getByRole('link')
      .first()
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `test-results/conversation-${colorScheme}.png` });
  });
});
