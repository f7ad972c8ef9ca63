import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { openApp, TestApp } from './support/host';
import { LONG, createDialog, fillServer, group, seeText, testConnection, waitForTlsText } from './support/ui';

/** The dialog's own behaviour: validation next to the fields, presets, Escape, a named failure. */

const stack = inject('mailstack');
const support = stack.users.support;

let app: TestApp;
let context: BrowserContext;
let page: Page;
/** Every request the page sent to the host over its WebSocket. */
let sent: string[] = [];

beforeAll(async () => {
  app = await TestApp.start();
});

afterAll(async () => {
  await app?.close();
});

beforeEach(async () => {
  await context?.close();
  sent = [];
  ({ context, page } = await openApp(app.browser, 'about:blank'));
  page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload))));
  await page.goto(app.host.url);
  await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
});

async function openEmailDialog() {
  await page.getByRole('button', { name: 'Add Channel' }).click();
  const dialog = createDialog(page);
  await dialog.waitFor();
  await dialog.getByLabel('Channel Type').selectOption({ label: 'Email' });
  return dialog;
}

/** The message a field shows next to it, found through its aria-describedby. */
async function fieldError(page: Page, field: ReturnType<Page['getByLabel']>): Promise<string> {
  expect(await field.getAttribute('aria-invalid')).toBe('true');
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

describe('Create Channel dialog', () => {
  it('offers Email and lists Web Chat as not yet available', async () => {
    await page.getByRole('button', { name: 'Add Channel' }).click();
    const dialog = createDialog(page);
    const type = dialog.getByLabel('Channel Type');
    expect(await type.locator('option', { hasText: 'Web Chat' }).isDisabled()).toBe(true);
    // The mail sections appear once Email is chosen.
    expect(await group(dialog, 'IMAP Settings').count()).toBe(0);
    await type.selectOption({ label: 'Email' });
    await group(dialog, 'IMAP Settings').waitFor();
    await group(dialog, 'SMTP Settings').waitFor();
    await group(dialog, 'Support Email Address').waitFor();
  });

  it('shows each invalid field’s message next to it and sends nothing', async () => {
    const dialog = await openEmailDialog();
    const imap = group(dialog, 'IMAP Settings');
    const smtp = group(dialog, 'SMTP Settings');
    await imap.getByLabel('Host', { exact: true }).fill('imap.example.com');
    await imap.getByLabel('Port', { exact: true }).fill('70000');
    await smtp.getByLabel('From Address').fill('not-an-email');
    await group(dialog, 'Support Email Address').getByLabel('Support Address').fill('support at example');

    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const port = imap.getByLabel('Port', { exact: true });
    await port.and(page.locator('[aria-invalid="true"]')).waitFor();
    expect(await fieldError(page, port)).toContain('Port must be a whole number from 1 to 65535');
    expect(await fieldError(page, smtp.getByLabel('From Address'))).toContain('Enter an email address like support@example.com');
    expect(await fieldError(page, group(dialog, 'Support Email Address').getByLabel('Support Address'))).toContain('Enter an email address');
    expect(await fieldError(page, dialog.getByLabel('Channel Name'))).toContain('Channel Name is required');
    expect(await fieldError(page, imap.getByLabel('Password', { exact: true }))).toContain('Password is required');
    expect(await fieldError(page, imap.getByLabel('Username', { exact: true }))).toContain('Username is required');
    // The message sits right under its field.
    await imap.getByText('Port must be a whole number from 1 to 65535').waitFor();

    // Test Connection checks the same way before it sends anything.
    await dialog.getByRole('button', { name: 'Test Connection' }).click();
    await imap.getByText('Port must be a whole number from 1 to 65535').waitFor();
    expect(await dialog.getByRole('region', { name: 'IMAP', exact: true }).count()).toBe(0);

    // Fixing a field clears its message.
    await port.fill('993');
    await imap.getByText('Port must be a whole number from 1 to 65535').waitFor({ state: 'detached' });

    expect(sent.filter((frame) => /channels:(create|test-connection)/.test(frame))).toEqual([]);
  });

  it('fills hosts, ports and TLS from a preset and shows its notes', async () => {
    const dialog = await openEmailDialog();
    await dialog.getByRole('radio', { name: 'Gmail' }).check();
    const imap = group(dialog, 'IMAP Settings');
    const smtp = group(dialog, 'SMTP Settings');
    expect(await imap.getByLabel('Host', { exact: true }).inputValue()).toBe('imap.gmail.com');
    expect(await imap.getByLabel('Port', { exact: true }).inputValue()).toBe('993');
    expect(await smtp.getByLabel('Host', { exact: true }).inputValue()).toBe('smtp.gmail.com');
    expect(await smtp.getByLabel('Port', { exact: true }).inputValue()).toBe('587');
    expect(await smtp.getByRole('switch', { name: 'TLS/SSL' }).isChecked()).toBe(true);
    await seeText(dialog, /app password/);
    await waitForTlsText(imap, /^Implicit TLS/);
    await waitForTlsText(smtp, /^STARTTLS/);

    await dialog.getByRole('radio', { name: 'Microsoft 365' }).check();
    expect(await imap.getByLabel('Host', { exact: true }).inputValue()).toBe('outlook.office365.com');
    expect(await smtp.getByLabel('Host', { exact: true }).inputValue()).toBe('smtp.office365.com');
    await seeText(dialog, /basic authentication/);
  });

  it('closes on Escape and gives focus back to Add Channel', async () => {
    const dialog = await openEmailDialog();
    await dialog.getByLabel('Channel Name').fill('Draft');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain('Add Channel');
  });

  it('names a wrong password and warns about plaintext', async () => {
    const dialog = await openEmailDialog();
    await dialog.getByLabel('Channel Name').fill('Wrong password');
    const imap = group(dialog, 'IMAP Settings');
    await fillServer(imap, { host: stack.host, port: stack.imap.plain, username: support.user, password: 'not-the-password', tls: false });
    await waitForTlsText(imap, /^Warning: .*travel unencrypted/);
    await fillServer(group(dialog, 'SMTP Settings'), {
      host: stack.host,
      port: stack.closed,
      username: support.user,
      password: support.password,
      tls: false,
    });
    await group(dialog, 'SMTP Settings').getByLabel('From Address').fill(support.address);
    await group(dialog, 'Support Email Address').getByLabel('Support Address').fill(support.address);

    const { imap: imapResult, smtp: smtpResult } = await testConnection(dialog);
    await seeText(imapResult, 'Authentication failed');
    await seeText(imapResult, /^Likely cause: Wrong username or password/);
    await seeText(smtpResult, `Connection refused on port ${stack.closed}`);
    // Nothing was saved by testing.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: LONG });
    await page.getByRole('heading', { name: 'Connect your first mailbox' }).waitFor();
  });
});
