import type { Locator, Page } from 'playwright-core';

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
