import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../electron/core/create-core';
import { openApp, TestApp } from './support/host';
import { LONG } from './support/ui';

/**
 * Attachments in a conversation can be downloaded from the web host: the message is imported into
 * the data folder through the core's ingestor before the host starts, then the page shows a
 * "Download <name>" link per attachment whose link fetches the file, and clicking it downloads it.
 */

const token = randomBytes(4).toString('hex');
const subject = `Invoice attached ${token}`;
const PDF_NAME = 'Rechnung März.pdf';
const PDF_BYTES = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(50_000)]);
const HTML_NAME = 'page.html';
const HTML_BYTES = Buffer.from('<html><body><script>document.title="pwned"</script>hello</body></html>');

function base64Lines(data: Buffer): string {
  return data.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function mailWithAttachments(): Buffer {
  const boundary = `b-${token}`;
  return Buffer.from(
    [
      'From: Carol Customer <carol@example.com>',
      'To: support@acme.test',
      `Subject: ${subject}`,
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      `Message-ID: <attachments-${token}@example.com>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The invoice is attached.',
      `--${boundary}`,
      'Content-Type: application/pdf',
      "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf",
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(PDF_BYTES),
      `--${boundary}`,
      'Content-Type: text/html',
      `Content-Disposition: attachment; filename="${HTML_NAME}"`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(HTML_BYTES),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

describe('Attachment downloads (web host)', () => {
  let app: TestApp;
  let page: Page;

  beforeAll(async () => {
    // The mail is imported by the app's own core on the same data folder before the host starts.
    app = await TestApp.start({
      beforeStart: async (dataDir, keychainService) => {
        const core = createCore({ dataDir, version: '0.0.0-test', keychainService });
        const position = { channelId: 'ch-e2e-attachments', mailbox: 'INBOX', uidValidity: '1' };
        core.ingestor.resetCursor({ ...position, lastUid: 0, backfillBelowUid: null, backfillSince: null });
        const source = mailWithAttachments();
        await core.ingestor.ingest(position, [{ uid: 1, size: source.length, source }], { advanceTo: 1 });
        await core.stop();
      },
    });
    ({ page } = await openApp(app.browser, `${app.host.url}#/inbox/all`));
  });

  afterAll(async () => {
    await app?.close();
  });

  async function openConversation(): Promise<void> {
    const row = page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(subject) });
    await row.waitFor({ timeout: LONG });
    await row.click();
    await page.getByRole('region', { name: subject, exact: true }).waitFor({ timeout: LONG });
  }

  it('shows a Download link per attachment whose link fetches the file', async () => {
    await openConversation();
    const link = page.getByRole('link', { name: `Download ${PDF_NAME}`, exact: true });
    await link.waitFor({ timeout: LONG });
    await page.getByRole('link', { name: `Download ${HTML_NAME}`, exact: true }).waitFor();
    expect(await link.getAttribute('download')).not.toBeNull();
    const href = (await link.getAttribute('href')) ?? '';
    // No key in the link: the host knows the page by its HttpOnly session cookie.
    expect(href).toMatch(/^\/attachments\/\d+$/);

    const fetched = await page.evaluate(async (url) => {
      const response = await fetch(url);
      const bytes = new Uint8Array(await response.arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return { status: response.status, type: response.headers.get('content-type'), base64: btoa(binary) };
    }, href);
    expect(fetched.status).toBe(200);
    expect(fetched.type).toBe('application/octet-stream');
    expect(Buffer.from(fetched.base64, 'base64').equals(PDF_BYTES)).toBe(true);

    // The same link without the session cookie is refused, and the page's script cannot read the cookie.
    const refused = await page.evaluate(async (url) => (await fetch(url, { credentials: 'omit' })).status, href);
    expect(refused).toBe(401);
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('downloads on click with the original name, and an HTML attachment never renders in the app', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download ${PDF_NAME}`, exact: true }).click()]);
    expect(download.suggestedFilename()).toBe(PDF_NAME);
    expect((await readFile((await download.path())!)).equals(PDF_BYTES)).toBe(true);

    const appUrl = page.url();
    const [htmlDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download ${HTML_NAME}`, exact: true }).click()]);
    expect(htmlDownload.suggestedFilename()).toBe(HTML_NAME);
    expect((await readFile((await htmlDownload.path())!)).equals(HTML_BYTES)).toBe(true);
    expect(page.url()).toBe(appUrl);
    expect(await page.title()).not.toBe('pwned');
  });
});
