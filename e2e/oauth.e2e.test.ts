import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliver } from '../test/mailstack/mailstack';
import { nativeAppClient, registerClient, revokeAccount } from '../test/mailstack/oauth-clients';
import { openApp, TestApp } from './support/host';
import { LONG, card, createDialog, group, result, seeText, testConnection } from './support/ui';

/**
 * OAuth 2.0 in the browser: an admin creates a channel that signs in at the mail stack's
 * authorization server ("other provider", found by discovery), completes the provider's own login
 * and consent pages in the tab the app opens, and the channel then reads and sends mail through
 * Dovecot and Postfix, which accept the mailbox only with that server's tokens.
 */

const stack = inject('mailstack');
const address = stack.oauth.address;
const customer = stack.users.customer;

/**
 * Completes the provider's pages in the tab the app opened, as the admin would: the login page
 * (unless the provider still remembers the browser's session), then the consent page.
 */
async function completeSignIn(tab: Page): Promise<void> {
  const allow = tab.getByRole('button', { name: 'Allow' });
  const login = tab.getByLabel('Email address');
  await login.or(allow).first().waitFor({ timeout: LONG });
  if (await login.isVisible()) {
    await login.fill(stack.oauth.user.login);
    await tab.getByLabel('Password').fill(stack.oauth.user.password);
    await tab.getByRole('button', { name: 'Sign in' }).click();
  }
  await allow.click();
  await tab.getByRole('heading', { name: 'Signed in' }).waitFor({ timeout: LONG });
  expect(new URL(tab.url()).hostname).toBe('127.0.0.1');
  await tab.close();
}

async function fillServer(section: Locator, port: number, tlsMode?: string): Promise<void> {
  await section.getByLabel('Host', { exact: true }).fill(stack.host);
  await section.getByLabel('Port', { exact: true }).fill(String(port));
  await section.getByLabel('Username', { exact: true }).fill(address);
  expect(await section.getByLabel('Password', { exact: true }).count()).toBe(0);
  await section.getByRole('switch', { name: 'TLS/SSL' }).check();
  if (tlsMode) await section.getByLabel('TLS mode').selectOption({ label: tlsMode });
}

describe('OAuth 2.0 sign-in in the Create Channel dialog', () => {
  let app: TestApp;
  let page: Page;
  /** The subject of the conversation the first test creates. */
  let conversation = '';

  beforeAll(async () => {
    app = await TestApp.start();
    ({ page } = await openApp(app.browser, app.host.url));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('signs in through the provider’s pages in a new tab, passes Test Connection for IMAP and SMTP, then receives mail and sends a reply', async () => {
    const client = await registerClient(stack.oauth, nativeAppClient());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('button', { name: 'Add Channel' }).click();
    const dialog = createDialog(page);
    await dialog.getByLabel('Channel Name').fill('OAuth Support');
    await dialog.getByLabel('Channel Type').selectOption({ label: 'Email' });

    const auth = dialog.getByRole('group', { name: 'Authentication' });
    await auth.getByLabel('Sign-in method').selectOption({ label: 'OAuth 2.0 — Microsoft 365' });
    await seeText(auth, /IMAP\.AccessAsUser\.All/, 5_000);
    await auth.getByLabel('Sign-in method').selectOption({ label: 'OAuth 2.0 — Google' });
    await seeText(auth, 'https://mail.google.com/', 5_000);
    await auth.getByLabel('Sign-in method').selectOption({ label: 'OAuth 2.0 — other provider' });
    await auth.getByLabel('Issuer URL').fill(stack.oauth.issuer);
    await auth.getByLabel('Scopes').fill('openid offline_access mail');
    await auth.getByLabel('Client ID').fill(client.clientId);
    await seeText(auth, 'Not signed in yet.', 5_000);

    await fillServer(group(dialog, 'IMAP Settings'), stack.imap.starttls, 'STARTTLS');
    await fillServer(group(dialog, 'SMTP Settings'), stack.smtp.starttls);
    await group(dialog, 'SMTP Settings').getByLabel('From Address').fill(address);
    await group(dialog, 'Support Email Address').getByLabel('Support Address').fill(address);
    await dialog.getByRole('group', { name: 'Inbox Settings' }).getByLabel('Import existing mail').selectOption('none');

    // Test Connection signs in first: the provider's pages open in a new tab.
    const tabOpened = page.context().waitForEvent('page', { timeout: LONG });
    await dialog.getByRole('button', { name: 'Test Connection' }).click();
    await completeSignIn(await tabOpened);
    await seeText(auth, 'Signed in. The sign-in is saved with the channel.');

    // The stack's certificate is self-signed: trust it, then both sides pass with the token.
    const first = { imap: result(dialog, 'IMAP'), smtp: result(dialog, 'SMTP') };
    await first.imap.waitFor({ timeout: LONG });
    await first.smtp.waitFor({ timeout: LONG });
    for (const region of [first.imap, first.smtp]) {
      const trust = region.getByLabel('Trust this certificate for this channel');
      if ((await trust.count()) > 0) await trust.check();
    }
    const tested = await testConnection(dialog);
    await seeText(tested.imap, /Logged in and opened INBOX/);
    await seeText(tested.smtp, /Logged in over STARTTLS/);
    await page.screenshot({ path: 'test-results/oauth-dialog.png', fullPage: true });

    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: LONG });
    const created = card(page, 'OAuth Support');
    await seeText(created, 'Connected');

    const subject = `Refund please ${Date.now()}`;
    await deliver(stack, { from: customer.address, to: address, subject, text: 'My order arrived broken.' });
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^All\b/ })
      .click();
    const row = page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(subject) });
    await row.waitFor({ timeout: LONG });
    await row.click();
    const region = page.getByRole('region', { name: subject, exact: true });
    await seeText(region, /arrived broken/);
    const replyText = `A replacement is on its way (${subject}).`;
    await region.getByRole('textbox', { name: 'Message', exact: true }).fill(replyText);
    await region.getByRole('textbox', { name: 'Message', exact: true }).press('Control+Enter');
    const reply = region.getByRole('article').filter({ hasText: replyText });
    await reply.locator('.delivery-badge').getByText('Sent', { exact: true }).waitFor({ timeout: LONG });
    conversation = subject;
  });

  it('when the sign-in is withdrawn, the card asks to sign in again and the reply waits; signing in again sends it', async () => {
    expect(await revokeAccount(stack.oauth, address)).toBeGreaterThan(0);
    const region = page.getByRole('region', { name: conversation, exact: true });
    const heldText = `Held until the sign-in is back (${conversation}).`;
    await region.getByRole('textbox', { name: 'Message', exact: true }).fill(heldText);
    await region.getByRole('textbox', { name: 'Message', exact: true }).press('Control+Enter');
    const held = region.getByRole('article').filter({ hasText: heldText });
    await seeText(held, /Sign-in is no longer valid/);
    expect(await held.locator('.delivery-badge').getByText('Sent', { exact: true }).count()).toBe(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
    const channel = card(page, 'OAuth Support');
    await seeText(channel, 'Sign-in needed');
    await seeText(channel, /Replies wait in the outbox/);
    await channel.screenshot({ path: 'test-results/oauth-sign-in-again.png' });
    const tabOpened = page.context().waitForEvent('page', { timeout: LONG });
    await channel.getByRole('button', { name: 'Sign in again' }).click();
    await completeSignIn(await tabOpened);
    await seeText(channel, 'Connected');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^All\b/ })
      .click();
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link', { name: new RegExp(conversation) })
      .click();
    await held.locator('.delivery-badge').getByText('Sent', { exact: true }).waitFor({ timeout: LONG });
  });
});
