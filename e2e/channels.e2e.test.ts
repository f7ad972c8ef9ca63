import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, TestApp } from './support/host';
import { LONG, card, createDialog, editDialog, fillServer, group, seeText, testConnection, textOf, waitForTlsText } from './support/ui';

/**
 * A new user connects the support mailbox of the local test servers (Dovecot + Postfix with a
 * self-signed certificate), the way the product guide walks them through it, then manages the channel
 * and restarts the app. The steps share one browser page and run in order.
 */

const stack = inject('mailstack');
const support = stack.users.support;
const CHANNEL = 'Support Email';
const RENAMED = 'Customer Support';

let app: TestApp;
let page: Page;

beforeAll(async () => {
  app = await TestApp.start();
  ({ page } = await openApp(app.browser, app.host.url));
});

afterAll(async () => {
  await app?.close();
});

describe('Email channel, end to end', () => {
  it('opens Channels from the sidebar and invites to add the first channel', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { level: 1, name: 'Channels' }).waitFor();
    await page.getByRole('heading', { name: 'Connect your first mailbox' }).waitFor();
    expect(await page.getByRole('article').count()).toBe(0);
  });

  it('fills the Create Channel dialog for the test servers; the TLS text follows the switch and the port', async () => {
    await page.getByRole('button', { name: 'Add Channel' }).click();
    const dialog = createDialog(page);
    await dialog.waitFor();

    await dialog.getByLabel('Channel Name').fill(CHANNEL);
    await dialog.getByLabel('Channel Type').selectOption({ label: 'Email' });
    const imap = group(dialog, 'IMAP Settings');
    const smtp = group(dialog, 'SMTP Settings');
    const supportGroup = group(dialog, 'Support Email Address');
    await imap.waitFor();

    expect(await imap.getByLabel('Mailbox').inputValue()).toBe('INBOX');

    // Dovecot offers STARTTLS on its plain port: TLS on, mode STARTTLS.
    await fillServer(imap, {
      host: stack.host,
      port: stack.imap.starttls,
      username: support.user,
      password: support.password,
      tls: true,
      tlsMode: 'STARTTLS',
    });
    await waitForTlsText(imap, /^STARTTLS/);

    await fillServer(smtp, { host: stack.host, port: 465, username: support.user, password: support.password, tls: true });
    await waitForTlsText(smtp, /^Implicit TLS/);
    await smtp.getByLabel('Port', { exact: true }).fill(String(stack.smtp.starttls));
    await waitForTlsText(smtp, /^STARTTLS/);
    await smtp.getByRole('switch', { name: 'TLS/SSL' }).uncheck();
    await waitForTlsText(smtp, /^Warning: .*travel unencrypted/);
    await smtp.getByRole('switch', { name: 'TLS/SSL' }).check();
    await waitForTlsText(smtp, /^STARTTLS/);

    await smtp.getByLabel('From Name').fill('Acme Support');
    await smtp.getByLabel('From Address').fill(support.address);
    await supportGroup.getByLabel('Support Address').fill(support.address);

    // The eye toggle shows and hides the password.
    const password = imap.getByLabel('Password', { exact: true });
    expect(await password.getAttribute('type')).toBe('password');
    await imap.getByRole('button', { name: 'Show password' }).click();
    expect(await password.getAttribute('type')).toBe('text');
    await imap.getByRole('button', { name: 'Hide password' }).click();
    expect(await password.getAttribute('type')).toBe('password');
  });

  it('tests the connection: the self-signed certificate fails until the admin trusts it', async () => {
    const dialog = createDialog(page);
    const first = await testConnection(dialog);
    await seeText(first.imap, 'Certificate verify failed');
    await seeText(first.imap, /^Likely cause:/);
    await seeText(first.imap, /^How to fix:/);
    await seeText(first.imap, 'SHA-256');

    for (const region of [first.imap, first.smtp]) {
      const trust = region.getByLabel('Trust this certificate for this channel');
      if ((await trust.count()) > 0) {
        expect(await trust.isChecked()).toBe(false);
        await trust.check();
      }
    }
    const imapGroup = group(dialog, 'IMAP Settings');
    await seeText(imapGroup, /^Trusted certificate: SHA-256/);
    // Unticking takes the trust back; ticking again restores it.
    const imapTrust = first.imap.getByLabel('Trust this certificate for this channel');
    await imapTrust.uncheck();
    await imapGroup.getByText(/^Trusted certificate: SHA-256/).waitFor({ state: 'detached' });
    await imapTrust.check();
    await seeText(imapGroup, /^Trusted certificate: SHA-256/);

    const second = await testConnection(dialog);
    await seeText(second.imap, 'IMAP: connected');
    await seeText(second.smtp, 'SMTP: connected');
  });

  it('names a closed SMTP port while IMAP still succeeds, then passes again once fixed', async () => {
    const dialog = createDialog(page);
    const smtp = group(dialog, 'SMTP Settings');
    await smtp.getByLabel('Port', { exact: true }).fill(String(stack.closed));

    const button = dialog.getByRole('button', { name: /Test Connection|Testing/ });
    await button.click();
    // Results of the previous test are cleared at once and the button is busy.
    expect(await dialog.getByRole('region', { name: 'IMAP', exact: true }).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Test Connection' }).waitFor({ timeout: LONG });
    const imapResult = dialog.getByRole('region', { name: 'IMAP', exact: true });
    const smtpResult = dialog.getByRole('region', { name: 'SMTP', exact: true });
    await seeText(smtpResult, `Connection refused on port ${stack.closed}`);
    await seeText(smtpResult, /^How to fix:/);
    await seeText(imapResult, 'IMAP: connected');

    await smtp.getByLabel('Port', { exact: true }).fill(String(stack.smtp.starttls));
    const fixed = await testConnection(dialog);
    await seeText(fixed.imap, 'IMAP: connected');
    await seeText(fixed.smtp, 'SMTP: connected');
    // Kept for a person to look at after a run; nothing asserts on pixels.
    await dialog.screenshot({ path: 'test-results/create-channel.png' });
  });

  it('creates the channel; its card shows name, type, address, state and the trusted certificate', async () => {
    const dialog = createDialog(page);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: LONG });

    const created = card(page, CHANNEL);
    await created.waitFor({ timeout: LONG });
    const text = await textOf(created);
    expect(text).toContain('Email');
    expect(text).toContain(support.address);
    expect(text).toContain('Enabled');
    expect(text).toMatch(/Trusted certificate \(IMAP(, SMTP)?\): SHA-256/);
    expect(text).toMatch(/Connected|Starting|Syncing|Retrying|Error/);
    await page.screenshot({ path: 'test-results/channel-card.png' });
    // Focus came back to the page, on the button that opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain('Add Channel');
  });

  it('edits the channel with the passwords left blank: the stored ones still connect, and the new name shows', async () => {
    await card(page, CHANNEL).getByRole('button', { name: 'Edit' }).click();
    const dialog = editDialog(page);
    await dialog.waitFor();
    expect(await dialog.getByLabel('Channel Name').inputValue()).toBe(CHANNEL);
    const imapPassword = group(dialog, 'IMAP Settings').getByLabel('Password', { exact: true });
    expect(await imapPassword.inputValue()).toBe('');
    expect(await imapPassword.getAttribute('placeholder')).toBe('Saved — leave blank to keep');
    await seeText(group(dialog, 'IMAP Settings'), /^Trusted certificate: SHA-256/);

    const tested = await testConnection(dialog);
    await seeText(tested.imap, 'IMAP: connected');
    await seeText(tested.smtp, 'SMTP: connected');

    await dialog.getByLabel('Channel Name').fill(RENAMED);
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: LONG });
    await card(page, RENAMED).waitFor({ timeout: LONG });
    expect(await card(page, CHANNEL).count()).toBe(0);
  });

  it('disables and enables the channel', async () => {
    const current = card(page, RENAMED);
    await current.getByRole('button', { name: 'Disable' }).click();
    await current.getByText('Disabled', { exact: true }).first().waitFor({ timeout: LONG });
    await current.getByRole('button', { name: 'Enable' }).waitFor();
    await current.getByRole('button', { name: 'Enable' }).click();
    await current.getByText('Enabled', { exact: true }).waitFor({ timeout: LONG });
    await current.getByRole('button', { name: 'Disable' }).waitFor();
  });

  it('keeps the channel and its passwords across a restart of the host', async () => {
    await app.restart();
    await page.goto(app.host.url);
    const current = card(page, RENAMED);
    await current.waitFor({ timeout: LONG });
    expect(await textOf(current)).toContain(support.address);

    // The passwords came back from the keychain: a test with blank password fields still logs in.
    await current.getByRole('button', { name: 'Edit' }).click();
    const dialog = editDialog(page);
    const tested = await testConnection(dialog);
    await seeText(tested.imap, 'IMAP: connected');
    await seeText(tested.smtp, 'SMTP: connected');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('deletes the channel after confirmation', async () => {
    await card(page, RENAMED).getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor();
    const text = await textOf(confirm);
    expect(text).toContain('keychain');
    expect(text).toContain('untouched');

    // Cancel keeps it.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await card(page, RENAMED).waitFor();

    await card(page, RENAMED).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await card(page, RENAMED).waitFor({ state: 'detached', timeout: LONG });
    await page.getByRole('heading', { name: 'Connect your first mailbox' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Connect your first mailbox' }).waitFor({ timeout: LONG });
    expect(await card(page, RENAMED).count()).toBe(0);
  });
});
