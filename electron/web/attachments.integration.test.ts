import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationDetail } from '../../shared/conversation';
import { tempDir, testKeychainService } from '../../test/support/temp';
import { sessionCookie } from '../../test/support/web-session';
import { createCore, type Core } from '../core/create-core';
import { openDatabase } from '../services/store/database';
import { sessionCookieName, startWebHost, type WebHost } from './server';

// Attachment downloads from the web host, as the page and as a hostile page would meet them: a real
// message with attachments goes through the core's ingestor (real parser, real SQLite, real files),
// then is fetched over HTTP on loopback.

let core: Core;
let host: WebHost;
let token: string;
let cookie: string;
const dataDir = tempDir();
const rendererDir = tempDir();

const PDF_BYTES = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200_000)]);
const HTML_BYTES = Buffer.from('<html><body><script>document.title="pwned"</script>Invoice</body></html>');
const PDF_NAME = 'Rechnung März "final".pdf';
const HTML_NAME = 'invoice.html';

let pdfId: number;
let htmlId: number;
let escapingId: number;

function base64Lines(data: Buffer): string {
  return data.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function mailWithAttachments(): Buffer {
  const boundary = 'b-attachments-test';
  return Buffer.from(
    [
      'From: Carol Customer <carol@example.com>',
      'To: support@acme.test',
      'Subject: Invoice attached',
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      'Message-ID: <attachments-test@example.com>',
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please find the invoice attached.',
      `--${boundary}`,
      'Content-Type: application/pdf',
      "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz%20%22final%22.pdf",
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(PDF_BYTES),
      `--${boundary}`,
      `Content-Type: text/html; name="${HTML_NAME}"`,
      `Content-Disposition: attachment; filename="${HTML_NAME}"`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(HTML_BYTES),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

beforeAll(async () => {
  writeFileSync(join(rendererDir.path, 'index.html'), '<!doctype html><html><head><title>Auxilium</title></head><body></body></html>');
  writeFileSync(join(dataDir.path, 'secret.txt'), 'not for the web');
  core = createCore({ dataDir: dataDir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  await core.start();

  const position = { channelId: 'ch-attachments', mailbox: 'INBOX', uidValidity: '1' };
  core.ingestor.resetCursor({ ...position, lastUid: 0, backfillBelowUid: null, backfillSince: null });
  const source = mailWithAttachments();
  await core.ingestor.ingest(position, [{ uid: 1, size: source.length, source }], { advanceTo: 1 });
  const page = await core.router.handle('conversations:list', { view: 'all' });
  if (!page.ok) throw new Error('conversations:list failed');
  const conversationId = (page.value as { items: { id: number }[] }).items[0]!.id;
  const detail = await core.router.handle('conversations:get', { id: conversationId });
  if (!detail.ok) throw new Error('conversations:get failed');
  const message = (detail.value as ConversationDetail).messages[0]!;
  pdfId = message.attachments.find((a) => a.filename === PDF_NAME)!.id;
  htmlId = message.attachments.find((a) => a.filename === HTML_NAME)!.id;

  // A row whose stored path points outside the attachments folder (a corrupt or tampered database):
  // it must never be served.
  const db = openDatabase(join(dataDir.path, 'auxilium.sqlite'));
  const inserted = db
    .prepare('INSERT INTO attachments (message_id, filename, content_type, size, content_id, inline, path) VALUES (?, ?, ?, ?, NULL, 0, ?)')
    .run(message.id, 'secret.txt', 'text/plain', 15, join(core.attachmentsDir, '..', 'secret.txt'));
  escapingId = Number(inserted.lastInsertRowid);
  db.close();

  host = await startWebHost({ core, rendererDir: rendererDir.path, port: 0 });
  token = new URL(host.openUrl).searchParams.get('key') ?? '';
  cookie = await sessionCookie(host.openUrl);
});

afterAll(async () => {
  await host?.close();
  await core?.stop();
  dataDir.remove();
  rendererDir.remove();
});

/** GET /attachments/<id> with the page's session cookie, or with the one given ('' for none). */
function fetchAttachment(id: number | string, withCookie: string = cookie): Promise<Response> {
  return fetch(`${host.url}attachments/${id}`, { headers: withCookie ? { Cookie: withCookie } : {} });
}

/** A raw HTTP request, so the Host header and the path go out exactly as given (fetch normalises both). */
function rawGet(
  path: string,
  hostHeader = `127.0.0.1:${host.port}`,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.port, path, method, headers: { Host: hostHeader, Cookie: cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('attachment downloads from the web host', () => {
  it('stored the attachments as files inside the attachments folder', () => {
    const pdf = core.attachmentFile(pdfId);
    expect(pdf).toMatchObject({ filename: PDF_NAME, contentType: 'application/pdf' });
    expect(readFileSync(pdf!.path).equals(PDF_BYTES)).toBe(true);
  });

  it('serves an attachment with the session cookie: the exact bytes, as a download', async () => {
    const response = await fetchAttachment(pdfId);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(PDF_BYTES)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-length')).toBe(String(PDF_BYTES.length));
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="Rechnung M_rz _final_.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz%20_final_.pdf`,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it("never serves an attachment with the sender's content type (HTML stays inert)", async () => {
    const response = await fetchAttachment(htmlId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="invoice\.html"/);
    expect(response.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await response.arrayBuffer()).equals(HTML_BYTES)).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await rawGet(`/attachments/${pdfId}`, undefined, 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(PDF_BYTES.length));
    expect(response.body.length).toBe(0);
  });

  it('refuses requests without the session cookie or with a wrong one', async () => {
    const name = sessionCookieName(host.port);
    for (const wrong of ['', `${name}=`, `${name}=guess`, `${name}=${token}x`, `${name}=${token.slice(1)}`, `other=${token}`]) {
      const response = await fetchAttachment(pdfId, wrong);
      expect(response.status, wrong).toBe(401);
      expect(Buffer.from(await response.arrayBuffer()).includes(PDF_BYTES.subarray(0, 64))).toBe(false);
    }
    // The key in the URL only ever trades itself for the cookie; it never serves the file.
    const withKey = await fetch(`${host.url}attachments/${pdfId}?key=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(withKey.status).toBe(303);
    expect(Buffer.from(await withKey.arrayBuffer()).length).toBe(0);
  });

  it('refuses requests addressed to another host name (DNS rebinding), even with the cookie', async () => {
    const response = await rawGet(`/attachments/${pdfId}`, `attacker.example:${host.port}`);
    expect(response.status).toBe(421);
    expect(response.body.includes(PDF_BYTES.subarray(0, 64))).toBe(false);
  });

  it('answers 404 for unknown or malformed ids', async () => {
    for (const id of ['999999', '0', '-1', 'abc', '1.0', `${pdfId}x`, '']) {
      expect((await fetchAttachment(id)).status, id).toBe(404);
    }
  });

  it('never serves a file outside the attachments folder', async () => {
    // A stored path that escapes the folder.
    expect(core.attachmentFile(escapingId)).toBeUndefined();
    const stored = await fetchAttachment(escapingId);
    expect(stored.status).toBe(404);
    expect(await stored.text()).not.toContain('not for the web');

    // ../ tricks in the URL, raw and percent-encoded.
    const q = '';
    for (const path of [
      `/attachments/../secret.txt${q}`,
      `/attachments/..%2fsecret.txt${q}`,
      `/attachments/%2e%2e/%2e%2e/secret.txt${q}`,
      `/attachments/${pdfId}/../../secret.txt${q}`,
      `/attachments/${pdfId}%2f..%2f..%2fsecret.txt${q}`,
      `/attachments/..%5csecret.txt${q}`,
      `/attachments//etc/passwd${q}`,
      `/attachments/${encodeURIComponent(join(dataDir.path, 'secret.txt'))}${q}`,
    ]) {
      const response = await rawGet(path);
      expect([403, 404, 200]).toContain(response.status);
      expect(response.body.toString('latin1'), path).not.toContain('not for the web');
      expect(response.body.toString('latin1'), path).not.toContain('root:');
      // Whatever answered 200 is the app page, not a file.
      if (response.status === 200) expect(response.headers['content-type']).toMatch(/^text\/html/);
    }
  });
});
