import { randomBytes } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliver } from '../test/mailstack/mailstack';
import { openApp, TestApp } from './support/host';
import { LONG, fillStackChannel, seeText, testTrustAndCreate } from './support/ui';

/**
 * Two desktops (two web hosts with data folders of their own) on one mailbox: what an agent does on
 * one shows on the other without a reload, through the mailbox's team folder.
 */

const stack = inject('mailstack');
const mailbox = stack.users.other;
const token = randomBytes(4).toString('hex');
const subject = `Team question ${token}`;

let a: TestApp;
let b: TestApp;
let pageA: Page;
let pageB: Page;

function row(page: Page): Locator {
  return page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(subject) });
}

function region(page: Page): Locator {
  return page.getByRole('region', { name: subject, exact: true });
}

async function openConversation(page: Page): Promise<Locator> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: /^All\b/ })
    .click();
  await row(page).click({ timeout: LONG });
  await region(page).waitFor({ timeout: LONG });
  return region(page);
}

describe('two desktops on one mailbox', () => {
  beforeAll(async () => {
    [a, b] = await Promise.all([TestApp.start(), TestApp.start()]);
    ({ page: pageA } = await openApp(a.browser, a.host.url));
    ({ page: pageB } = await openApp(b.browser, b.host.url));
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('both connect the mailbox with the same team folder; the card says the team sync is connected', async () => {
    for (const page of [pageA, pageB]) {
      const dialog = await fillStackChannel(page, stack, mailbox, { teamFolder: `Team ${token}` });
      const created = await testTrustAndCreate(page, dialog);
      await seeText(created, 'Team sync');
      await expect.poll(async () => (await created.textContent()) ?? '', { timeout: LONG }).toMatch(/Team sync\s*Connected/);
    }
  });

  it('an agent added on one desktop is on the other', async () => {
    await pageA.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await pageA.getByRole('button', { name: 'Add agent' }).click();
    const dialog = pageA.getByRole('dialog', { name: 'Add agent' });
    await dialog.getByLabel('Name').fill(`Ada ${token}`);
    await dialog.getByLabel('Email').fill(`ada-${token}@auxilium.test`);
    await dialog.getByRole('button', { name: 'Add agent' }).click();
    await pageA.getByLabel('I am').selectOption({ label: `Ada ${token} — ada-${token}@auxilium.test` });

    await pageB.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await pageB.getByRole('listitem', { name: `Ada ${token}` }).waitFor({ timeout: LONG });
  });

  it('shows who is replying, a note, the assignee and the status made on the other desktop', async () => {
    await deliver(stack, { from: stack.users.customer.address, to: mailbox.address, subject, text: `Where is my parcel ${token}?` });
    const onA = await openConversation(pageA);
    const onB = await openConversation(pageB);

    // A writes a reply: B sees it in the conversation and in the list, and not once A empties the box.
    await onA.getByRole('group', { name: 'Compose' }).getByRole('button', { name: 'Reply', exact: true }).click();
    await onA.getByRole('textbox', { name: 'Message', exact: true }).fill('Let me check with the courier');
    await seeText(onB, `Ada ${token} is replying`);
    await seeText(row(pageB), `Ada ${token} is replying`);
    await onA.getByRole('textbox', { name: 'Message', exact: true }).fill('');
    await expect.poll(() => onB.getByText(/is replying/).count(), { timeout: LONG }).toBe(0);

    await onA.getByRole('group', { name: 'Compose' }).getByRole('button', { name: 'Note', exact: true }).click();
    await onA.getByLabel('Note', { exact: true }).fill(`Courier called ${token}`);
    await onA.getByRole('button', { name: 'Add note' }).click();
    await seeText(onB, `Courier called ${token}`);

    await onA.getByLabel('Assignee').selectOption({ label: `Ada ${token} (Me)` });
    await expect.poll(async () => onB.getByLabel('Assignee').locator('option:checked').textContent(), { timeout: LONG }).toBe(`Ada ${token}`);

    await onA.getByLabel('Status').selectOption({ label: 'Pending' });
    await expect.poll(() => onB.getByLabel('Status').inputValue(), { timeout: LONG }).toBe('pending');
  });
});
