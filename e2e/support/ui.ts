import type { Locator, Page } from 'playwright-core';
import type { MailStackInfo, MailUser } from '../../test/mailstack/mailstack';

/** Page helpers in the words a user would use: by role and accessible name, as the issue lists them. */

export const LONG = 45_000;

export interface ServerValues {
  host: string;
  port: number;
  username: string;
  password: string;
  tls?: boolean;
  tlsMode?: 'Automatic by port' | 'Implicit TLS' | 'STARTTLS';
}

export function createDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Create Channel' });
}

export function editDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Edit Channel' });
}

export function group(scope: Locator, name: 'IMAP Settings' | 'SMTP Settings' | 'Support Email Address'): Locator {
  return scope.getByRole('group', { name, exact: true });
}

export function result(scope: Locator, name: 'IMAP' | 'SMTP'): Locator {
  return scope.getByRole('region', { name, exact: true });
}

export function card(page: Page, name: string): Locator {
  return page.getByRole('article', { name, exact: true });
}

export async function fillServer(section: Locator, values: ServerValues): Promise<void> {
  await section.getByLabel('Host', { exact: true }).fill(values.host);
  await section.getByLabel('Port', { exact: true }).fill(String(values.port));
  await section.getByLabel('Username', { exact: true }).fill(values.username);
  await section.getByLabel('Password', { exact: true }).fill(values.password);
  const tls = section.getByRole('switch', { name: 'TLS/SSL' });
  if (values.tls === false) await tls.uncheck();
  else await tls.check();
  if (values.tlsMode) await section.getByLabel('TLS mode').selectOption({ label: values.tlsMode });
}

/** Clicks Test Connection and waits until both result regions are there. */
export async function testConnection(dialog: Locator): Promise<{ imap: Locator; smtp: Locator }> {
  await dialog.getByRole('button', { name: 'Test Connection' }).click();
  const imap = result(dialog, 'IMAP');
  const smtp = result(dialog, 'SMTP');
  await imap.waitFor({ timeout: LONG });
  await smtp.waitFor({ timeout: LONG });
  return { imap, smtp };
}

/**
 * Tests the filled Create Channel dialog, trusts the test servers' self-signed certificate where
 * it is offered, creates the channel and waits for its card.
 */
export async function testTrustAndCreate(page: Page, dialog: Locator, name = 'Support Email'): Promise<Locator> {
  const tested = await testConnection(dialog);
  for (const region of [tested.imap, tested.smtp]) {
    const trust = region.getByLabel('Trust this certificate for this channel');
    if ((await trust.count()) > 0) await trust.check();
  }
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  await dialog.waitFor({ state: 'detached', timeout: LONG });
  const created = card(page, name);
  await created.waitFor({ timeout: LONG });
  return created;
}

/** Opens the Edit Channel dialog from a channel's card. */
export async function openEditDialog(page: Page, name = 'Support Email'): Promise<Locator> {
  await card(page, name).getByRole('button', { name: 'Edit' }).click();
  const dialog = editDialog(page);
  await dialog.waitFor({ timeout: LONG });
  return dialog;
}

/** Waits for a piece of text inside a locator to be visible. */
export async function seeText(scope: Locator, text: string | RegExp, timeout = LONG): Promise<void> {
  await scope.getByText(text).first().waitFor({ timeout });
}

export async function textOf(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

/** The text that describes a control (its aria-describedby elements), e.g. the TLS mode under the TLS/SSL switch. */
export async function descriptionOf(control: Locator): Promise<string> {
  const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const page = control.page();
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

/** Polls the TLS/SSL switch's description until it matches. */
export async function waitForTlsText(section: Locator, pattern: RegExp, timeout = 10_000): Promise<void> {
  const control = section.getByRole('switch', { name: 'TLS/SSL' });
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = await descriptionOf(control);
    if (pattern.test(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`TLS/SSL description did not match ${pattern}; it says: "${last}"`);
}

/**
 * Opens Add Channel from the Channels page and fills in a channel for one mail-stack user: STARTTLS
 * both ways, the user as From and Support Address. Returns the dialog, not yet tested or created.
 * The team folder is one of its own unless `teamFolder` names one: test files share the stack's
 * mailboxes, and one file's notes and agents must not reach another file's app.
 */
export async function fillStackChannel(
  page: Page,
  stack: MailStackInfo,
  user: MailUser,
  options: { fromName?: string; teamFolder?: string } = {},
): Promise<Locator> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
  await page.getByRole('button', { name: 'Add Channel' }).click();
  const dialog = createDialog(page);
  await dialog.getByLabel('Channel Name').fill('Support Email');
  await dialog.getByLabel('Channel Type').selectOption({ label: 'Email' });
  const login = { host: stack.host, username: user.user, password: user.password, tls: true };
  await fillServer(group(dialog, 'IMAP Settings'), { ...login, port: stack.imap.starttls, tlsMode: 'STARTTLS' });
  await fillServer(group(dialog, 'SMTP Settings'), { ...login, port: stack.smtp.starttls });
  const smtp = group(dialog, 'SMTP Settings');
  if (options.fromName) await smtp.getByLabel('From Name').fill(options.fromName);
  await smtp.getByLabel('From Address').fill(user.address);
  await group(dialog, 'Support Email Address').getByLabel('Support Address').fill(user.address);
  await dialog.getByLabel('Team folder').fill(options.teamFolder ?? `Auxilium Team ${Math.random().toString(36).slice(2)}`);
  return dialog;
}

export interface ShownNotification {
  title: string;
  body: string | undefined;
}

/** Headless Chromium shows no desktop notifications: record what the app asks to show instead. */
export async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const shown: { title: string; body: string | undefined }[] = [];
    class RecordingNotification {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, options?: { body?: string }) {
        shown.push({ title, body: options?.body });
      }
    }
    Object.assign(window, { Notification: RecordingNotification, shownNotifications: shown });
  });
}

/** The notifications the app has shown since the page loaded, oldest first. */
export function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(() => (window as unknown as { shownNotifications: ShownNotification[] }).shownNotifications);
}

/**
 * Waits until a channel's card says its inbox is connected. Mail delivered before that is older than
 * the first sync, so a channel set to import no existing mail would never show it.
 */
export async function waitForConnected(channelCard: Locator): Promise<void> {
  await channelCard.locator('.status-state').first().getByText('Connected', { exact: true }).waitFor({ timeout: LONG });
}
