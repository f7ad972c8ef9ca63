import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/temp';
import {
  deeplyNestedMessage,
  garbage,
  hugeSubjectMessage,
  manyAttachmentsMessage,
  manyHeadersMessage,
  slowToParseMessage,
  writeBigAttachmentMessage,
} from '../../../../test/fixtures/mail/generate';
import type { ParsedMessage } from '../types';
import { MailParserPool, type ParseResult } from './index';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/mail', import.meta.url));
const fixture = (name: string) => ({ path: join(fixtures, name) });

function parsed(result: ParseResult): ParsedMessage {
  if (!result.ok) throw new Error(`expected a parsed message, got: ${result.error}`);
  return result.message;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

let dir: ReturnType<typeof tempDir>;
let attachmentsDir: string;
let pool: MailParserPool;

beforeAll(() => {
  dir = tempDir('auxilium-parse-');
  attachmentsDir = join(dir.path, 'attachments');
  pool = new MailParserPool({ attachmentsDir, workers: 2 });
});

afterAll(async () => {
  await pool.close();
  dir.remove();
});

describe('decoding real mail', () => {
  it('reads the envelope headers, references and date', async () => {
    const message = parsed(
      await pool.parse(
        Buffer.from(
          'From: "Doe, Jane" <jane@example.com>\r\nTo: a@example.org, Team: b@example.org, c@example.org;\r\nCc: d@example.org\r\n' +
            "Reply-To: replies@example.com\r\nSubject: Hello\r\nMessage-ID: <m1@example.com>\r\nIn-Reply-To: <p2@example.org> (Jane's mail)\r\n" +
            'References: <p1@example.org>\r\n <p2@example.org>\r\nDate: Tue, 1 Oct 2024 10:00:00 +0200\r\nAuto-Submitted: no\r\nX-Mixed-Case: Value\r\nX-Mixed-Case: second\r\n\r\nBody\r\n',
        ),
      ),
    );
    expect(message.from).toEqual({ name: 'Doe, Jane', address: 'jane@example.com' });
    expect(message.to.map((a) => a.address)).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(parsed(await pool.parse(Buffer.from('From: =?UTF-8?B?RG9lLCBKYW5l?= <jane@example.com>\r\n\r\nx'))).from).toEqual({
      name: 'Doe, Jane',
      address: 'jane@example.com',
    });
    expect(message.cc).toEqual([{ name: '', address: 'd@example.org' }]);
    expect(message.replyTo).toEqual([{ name: '', address: 'replies@example.com' }]);
    expect(message.messageId).toBe('<m1@example.com>');
    expect(message.inReplyTo).toBe('<p2@example.org>');
    expect(message.references).toEqual(['<p1@example.org>', '<p2@example.org>']);
    expect(message.date).toBe('2024-10-01T08:00:00.000Z');
    expect(message.headers['auto-submitted']).toBe('no');
    expect(message.headers['x-mixed-case']).toBe('Value');
    expect(message.headers.references).toBe('<p1@example.org> <p2@example.org>');
    expect(message.text).toBe('Body\n');
    expect(message.html).toBeNull();
  });

  it('adds the angle brackets a client left off a Message-ID', async () => {
    const message = parsed(await pool.parse(Buffer.from('Message-ID: bare@example.com\r\nIn-Reply-To: <p@example.org>\r\n\r\nx')));
    expect(message).toMatchObject({ messageId: '<bare@example.com>', inReplyTo: '<p@example.org>' });
  });

  it('keeps a Message-ID with spaces inside the brackets, normalised the same way in replies to it', async () => {
    const original = parsed(await pool.parse(Buffer.from('Message-ID: <abc def @example.com>\r\nSubject: x\r\n\r\nx')));
    expect(original.messageId).toBe('<abcdef@example.com>');
    const reply = parsed(
      await pool.parse(Buffer.from('Message-ID: <r@example.org>\r\nIn-Reply-To: <abc def @example.com>\r\nReferences: <p@x> <abc def @example.com>\r\n\r\nx')),
    );
    expect(reply.inReplyTo).toBe('<abcdef@example.com>');
    expect(reply.references).toEqual(['<p@x>', '<abcdef@example.com>']);
  });

  it('reads a Date with a trailing comment', async () => {
    expect(parsed(await pool.parse(Buffer.from('Date: Tue, 1 Oct 2024 10:00:00 +0200 (CEST)\r\n\r\nx'))).date).toBe('2024-10-01T08:00:00.000Z');
  });

  it('gives a null date when the Date header is missing or unreadable', async () => {
    expect(parsed(await pool.parse(Buffer.from('Subject: x\r\nDate: yesterday-ish\r\n\r\nx'))).date).toBeNull();
    expect(parsed(await pool.parse(Buffer.from('Subject: x\r\n\r\nx'))).date).toBeNull();
  });

  it.each([
    ['latin1-no-charset.eml', 'Blåbær', 'Blåbærsyltetøy på brødskiva, takk.\n'],
    ['utf8-no-charset.eml', 'Grüße', 'Grüße aus Köln — 日本語\n'],
    ['charset-windows-1252.eml', 'cp1252', '“Smart quotes” cost 10 € – naïve\n'],
    ['charset-iso-2022-jp.eml', 'お問い合わせ', 'こんにちは、注文について質問があります。\n'],
    ['charset-koi8-r-base64.eml', 'Привет', 'Здравствуйте! Где мой заказ?\n'],
  ])('decodes %s', async (name, subject, text) => {
    const message = parsed(await pool.parse(fixture(name)));
    expect(message.subject).toBe(subject);
    expect(message.text).toBe(text);
  });

  it('decodes quoted-printable latin-1 with soft line breaks', async () => {
    const message = parsed(await pool.parse(fixture('charset-iso-8859-1-qp.eml')));
    expect(message.text).toContain('Très bien, ça coûte');
    expect(message.text).toContain('lengre enn syttiseks tegn.');
    expect(message.text).not.toContain('=\n');
  });

  it('reads 8-bit latin-1 display names sent without any charset', async () => {
    expect(parsed(await pool.parse(fixture('latin1-no-charset.eml'))).from).toEqual({ name: 'Søren Ærø', address: 'soren@example.dk' });
  });

  it('decodes RFC 2047 display names', async () => {
    expect(parsed(await pool.parse(fixture('charset-iso-2022-jp.eml'))).from).toEqual({ name: '山田太郎', address: 'yamada@example.jp' });
  });

  it('keeps text and HTML of multipart/alternative and marks the cid: image inline', async () => {
    const message = parsed(await pool.parse(fixture('alternative-inline-cid.eml')));
    expect(message.text).toBe('See the logo.');
    expect(message.html).toContain('src="cid:logo@example.com"');
    expect(message.attachments).toHaveLength(1);
    const [logo] = message.attachments;
    expect(logo).toMatchObject({ filename: 'logo.png', contentType: 'image/png', contentId: 'logo@example.com', inline: true, size: 70 });
    expect(readFileSync(logo!.path).subarray(1, 4).toString()).toBe('PNG');
  });

  it('decodes encoded attachment names and never uses them for the stored path', async () => {
    const message = parsed(await pool.parse(fixture('encoded-filenames.eml')));
    expect(message.subject).toBe('Rechnung für Oktober');
    expect(message.attachments.map((a) => a.filename)).toEqual(['Rechnung Oktober.pdf', '€ prisæ.txt', 'evil']);
    for (const attachment of message.attachments) {
      expect(attachment.path.startsWith(attachmentsDir + '/')).toBe(true);
      expect(attachment.path).not.toContain('evil');
      expect(attachment.inline).toBe(false);
      expect(statSync(attachment.path).size).toBe(attachment.size);
    }
    expect(message.attachments[0]!.path).toMatch(/\.pdf$/);
  });

  it('text-only mail has no HTML', async () => {
    const message = parsed(await pool.parse(fixture('text-only.eml')));
    expect(message).toMatchObject({ text: 'Just text.\n', html: null, attachments: [] });
  });

  it('shows the body of a single-part HTML message with an unknown Content-Disposition', async () => {
    const message = parsed(
      await pool.parse(
        Buffer.from('Subject: x\r\nContent-Type: text/html; charset=utf-8\r\nContent-Disposition: x-unknown\r\n\r\n<p>Your parcel is <b>here</b>.</p>\r\n'),
      ),
    );
    expect(message.html).toContain('<b>here</b>');
    expect(message.text).toContain('Your parcel is here.');
    expect(message.attachments).toEqual([]);
  });

  it('HTML-only mail gets a text version', async () => {
    const single = parsed(await pool.parse(fixture('html-only.eml')));
    expect(single.html).toContain('<h1>Hello</h1>');
    expect(single.text).toMatch(/Your order\s+is shipped\./);
    const mixed = parsed(await pool.parse(fixture('html-only-in-mixed.eml')));
    expect(mixed.text).toBe('Invoice attached & paid.');
    expect(mixed.attachments.map((a) => a.filename)).toEqual(['a.pdf']);
  });

  it('keeps an attached message/rfc822 as an .eml attachment', async () => {
    const message = parsed(await pool.parse(fixture('forwarded-rfc822.eml')));
    expect(message.text).toBe('See below.');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({ contentType: 'message/rfc822', filename: 'attachment-1.eml' });
    expect(readFileSync(message.attachments[0]!.path, 'utf8')).toContain('Message-ID: <inner@example.net>');
    expect(message.bounceOf).toEqual([]);
  });

  it('stores 30 attachments with the same name as 30 files', async () => {
    const message = parsed(await pool.parse(manyAttachmentsMessage(30)));
    expect(message.attachments).toHaveLength(30);
    expect(new Set(message.attachments.map((a) => a.path)).size).toBe(30);
    message.attachments.forEach((attachment, i) => {
      expect(attachment.filename).toBe('same.txt');
      expect(readFileSync(attachment.path, 'utf8')).toBe(`attachment number ${i + 1}`);
    });
  });
});

describe('delivery reports', () => {
  it('finds the original Message-ID in an attached message/rfc822', async () => {
    const message = parsed(await pool.parse(fixture('bounce-dsn.eml')));
    expect(message.bounceOf).toEqual(['<aux.T0K3N.abc123@example.org>']);
    expect(message.text).toContain('Status: 5.1.1');
  });

  it('finds the original Message-ID in text/rfc822-headers', async () => {
    expect(parsed(await pool.parse(fixture('bounce-headers-only.eml'))).bounceOf).toEqual(['<aux.OTHER.xyz@example.org>']);
  });
});

describe('hostile input', () => {
  it('falls back to readable text for unknown charsets and never decodes UTF-7 into markup', async () => {
    const message = parsed(await pool.parse(fixture('bad-charset.eml')));
    expect(message.text).toContain('Hello from nowhere.');
    expect(message.html).not.toContain('<script>');
  });

  it('keeps what came before a missing closing boundary', async () => {
    const message = parsed(await pool.parse(fixture('broken-boundary.eml')));
    expect(message.text).toBe('The closing boundary never comes.');
    expect(message.attachments.map((a) => a.filename)).toEqual(['cut.pdf']);
  });

  it('survives a multipart without a boundary parameter', async () => {
    expect(parsed(await pool.parse(fixture('boundary-missing.eml'))).subject).toBe('no boundary param');
  });

  it('keeps script-laden HTML exactly as sent (the renderer sanitises it)', async () => {
    const message = parsed(await pool.parse(fixture('script-html.eml')));
    const raw = readFileSync(join(fixtures, 'script-html.eml'), 'utf8');
    expect(message.html).toBe(raw.slice(raw.indexOf('<html>')).replace(/\r\n/g, '\n'));
    expect(message.text).not.toContain('alert("head")');
  });

  it('parses 200 levels of nested multiparts', async () => {
    expect(parsed(await pool.parse(deeplyNestedMessage(200))).text).toBe('At the bottom.');
  });

  it('parses 10,000 headers', async () => {
    const message = parsed(await pool.parse(manyHeadersMessage(10_000)));
    expect(message.headers['x-filler-9999']).toBe('value 9999');
    expect(message.text).toBe('Body.\n');
  });

  it('refuses a 1 MB Subject without crashing', async () => {
    const result = await pool.parse(hugeSubjectMessage(1024 * 1024));
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/header size/i) });
  });

  it('parses non-mail bytes as a message or refuses them, and refuses an empty file', async () => {
    const result = await pool.parse(garbage(64 * 1024));
    expect(typeof (result.ok ? result.message.text : result.error)).toBe('string');
    expect(await pool.parse(fixture('empty.eml'))).toEqual({ ok: false, error: 'The message is empty' });
    expect(await pool.parse({ path: join(fixtures, 'no-such-file.eml') })).toEqual({ ok: false, error: expect.stringContaining('ENOENT') });
  });

  it('streams a 20 MB attachment to disk without it passing through the main thread', async () => {
    const raw = join(dir.path, 'big.eml');
    const size = 20 * 1024 * 1024;
    const { sha256: expected } = await writeBigAttachmentMessage(raw, size);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const result = await pool.parse({ path: raw });
    clearInterval(sampler);
    const message = parsed(result);
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({ filename: 'big.bin', size });
    expect(statSync(message.attachments[0]!.path).size).toBe(size);
    expect(await sha256(message.attachments[0]!.path)).toBe(expected);
    // Loose on purpose: garbage collection timing varies, but 20 MB in the main heap would show.
    expect(peak - before).toBeLessThan(15 * 1024 * 1024);
  }, 60_000);
});

describe('the pool', () => {
  it('gives up on a slow message, replaces the worker and parses the next one', async () => {
    // Timings are loose on purpose: the slow message takes seconds, the others milliseconds.
    const impatient = new MailParserPool({ attachmentsDir: join(dir.path, 'slow'), timeoutMs: 250 });
    try {
      expect(parsed(await impatient.parse(fixture('text-only.eml'))).text).toBe('Just text.\n');
      const [slow, next] = await Promise.all([impatient.parse(slowToParseMessage()), impatient.parse(fixture('text-only.eml'))]);
      expect(slow).toEqual({ ok: false, error: 'Parsing took longer than 0.25 s; the message is kept as received' });
      expect(parsed(next).text).toBe('Just text.\n');
    } finally {
      await impatient.close();
    }
  }, 30_000);

  it('removes the half-written attachment of a message it gave up on', async () => {
    const ownDir = join(dir.path, 'abandoned');
    const impatient = new MailParserPool({ attachmentsDir: ownDir, timeoutMs: 250 });
    const raw = join(dir.path, 'big-abandoned.eml');
    await writeBigAttachmentMessage(raw, 20 * 1024 * 1024);
    let sawPartial = false;
    const watcher = setInterval(() => {
      if (existsSync(ownDir) && readdirSync(ownDir).some((name) => name.endsWith('.partial'))) sawPartial = true;
    }, 5);
    try {
      expect(await impatient.parse({ path: raw })).toMatchObject({ ok: false, error: expect.stringContaining('took longer') });
      clearInterval(watcher);
      expect(sawPartial).toBe(true);
      await expect.poll(() => readdirSync(ownDir), { timeout: 5000 }).toEqual([]);
    } finally {
      clearInterval(watcher);
      await impatient.close();
    }
  }, 60_000);

  it('answers every queued message after close() and refuses new ones', async () => {
    const closing = new MailParserPool({ attachmentsDir: join(dir.path, 'closing') });
    const pending = closing.parse(slowToParseMessage());
    await new Promise((resolve) => setTimeout(resolve, 20));
    await closing.close();
    expect(await pending).toEqual({ ok: false, error: 'The parser is closed' });
    expect(await closing.parse(fixture('text-only.eml'))).toEqual({ ok: false, error: 'The parser is closed' });
  });
});
