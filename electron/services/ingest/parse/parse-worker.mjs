// Parses one raw message at a time for MailParserPool (index.ts), off the main event loop.
//
// Plain JavaScript on purpose: the same file runs as-is from the source tree under vitest/tsx,
// where a worker has no TypeScript loader, and electron-vite bundles it into out/main/chunks for
// the app (see workerLocation in index.ts). Its output shape is ParsedMessage in ../types.ts.

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, Readable, Transform, Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { MailParser, parseAddressHeader } from 'mailparser';

const { attachmentsDir, partialPrefix } = workerData;

// Attachments are the user's alone (PRIVATE_DIR_MODE and PRIVATE_FILE_MODE in ../../file-modes.ts).
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

// A charset name no real mail uses: it marks text parts that declare no charset, so our decoder
// (below) sees them. mailparser would otherwise read them as UTF-8 and turn every latin-1 byte
// into U+FFFD.
const UNDECLARED = 'x-undeclared-charset';

// Text parts are collected whole by mailparser anyway, so buffering them here costs nothing extra.
class UndeclaredCharsetDecoder extends Transform {
  chunks = [];
  _transform(chunk, _encoding, done) {
    this.chunks.push(chunk);
    done();
  }
  _flush(done) {
    this.push(Buffer.from(decodeUndeclared(Buffer.concat(this.chunks)), 'utf8'));
    done();
  }
}

/** Mail without a charset is UTF-8 from modern clients and windows-1252 (a superset of latin-1) from old ones. */
function decodeUndeclared(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/**
 * What stream.pipeline does: pipes the streams, resolves when all have finished, and on the first
 * error destroys them all and rejects. pipeline also creates an AbortController per call and aborts
 * it when done, which builds a DOMException with a stack trace: a noticeable share of the time for
 * small messages, paid once per message and once per attachment.
 */
function pump(...streams) {
  return new Promise((resolve, reject) => {
    let pending = streams.length;
    let failed = false;
    const done = (error) => {
      if (failed) return;
      if (error) {
        failed = true;
        for (const stream of streams) stream.destroy();
        reject(error);
      } else if (--pending === 0) {
        resolve();
      }
    };
    for (const stream of streams) finished(stream, done);
    for (let i = 0; i < streams.length - 1; i++) streams[i].pipe(streams[i + 1]);
  });
}

function createParser() {
  // We use neither mailparser's text-as-HTML nor its checksums; skipping them is less work, and
  // linkifying is where large plain-text mail spends its time.
  const parser = new MailParser({ checksumAlgo: false, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const embeddedMessageIds = [];
  const decoder = parser.decoder;
  parser.decoder = {
    decodeStream: (charset) => (charset === UNDECLARED ? new UndeclaredCharsetDecoder() : decoder.decodeStream(charset)),
  };
  const createNode = parser.createNode;
  parser.createNode = function (node) {
    const type = node.contentType || (node.root ? 'text/plain' : '');
    if (!node.charset && /^text\//i.test(type)) node.charset = UNDECLARED;
    // An unknown disposition means "attachment" (RFC 2183), but the one part of a single-part
    // message is its body: read as an attachment, the message would show no text at all.
    if (node.root && /^text\//i.test(type) && node.disposition && !['attachment', 'inline'].includes(node.disposition)) {
      node.disposition = 'inline';
    }
    // Headers of a message/rfc822 shown inline (a forwarded message, or a bounce's original).
    if (node.parentNode && node.parentNode.contentType === 'message/rfc822') {
      const id = node.headers.getFirst('message-id');
      if (id) embeddedMessageIds.push(...messageIds(String(id)));
    }
    return createNode.call(this, node);
  };
  return { parser, embeddedMessageIds };
}

/**
 * The `<…>` Message-IDs in a header. Whitespace some clients put inside the brackets is dropped, the
 * same way wherever an id is read (Message-ID, In-Reply-To, References), so a reply still finds it.
 */
function messageIds(value) {
  return (value.match(/<[^<>]+>/g) ?? []).map((id) => id.replace(/\s+/g, '')).filter((id) => id !== '<>');
}

/** Some clients drop the angle brackets; threading compares the bracketed form. */
function firstMessageId(value) {
  const bare = /^[^<>\s]+@[^<>\s]+$/.exec(value.trim());
  return messageIds(value)[0] ?? (bare ? `<${bare[0]}>` : null);
}

const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'reply-to']);

/**
 * Unfolded header lines: `headers` has the first occurrence of each name with encoded words
 * decoded; `addressValues` every occurrence of the address headers before that decoding, which
 * parseAddressHeader needs (a display name encoded as "Doe, Jane" must not split in two).
 */
function readHeaders(lines, libmime) {
  const headers = {};
  const addressValues = {};
  for (const { key, line } of lines) {
    const name = key.toLowerCase();
    if (!name) continue;
    const colon = line.indexOf(':');
    // mailparser hands header lines over as binary strings; 8-bit names get the same charset guess as bodies
    const value = decodeUndeclared(Buffer.from((colon < 0 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim(), 'binary'));
    if (ADDRESS_HEADERS.has(name)) (addressValues[name] ??= []).push(value);
    if (Object.hasOwn(headers, name)) continue;
    try {
      headers[name] = libmime.decodeWords(value);
    } catch {
      headers[name] = value; // an encoded word libmime cannot read stays as it came
    }
  }
  return { headers, addressValues };
}

function addresses(values) {
  const list = [];
  const walk = (entries) => {
    for (const entry of entries ?? []) {
      if (entry.group) walk(entry.group);
      else if (entry.address || entry.name) list.push({ name: entry.name || '', address: entry.address || '' });
    }
  };
  walk(parseAddressHeader(values ?? []).value);
  return list;
}

function safeFilename(name, fallback) {
  const base = String(name || '')
    .split(/[\\/]/)
    .pop()
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 255);
  return base && base !== '.' && base !== '..' ? base : fallback;
}

function safeExtension(filename) {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(filename);
  return match ? `.${match[1].toLowerCase()}` : '';
}

const FALLBACK_EXTENSIONS = {
  'message/rfc822': '.eml',
  'text/rfc822-headers': '.txt',
  'message/delivery-status': '.txt',
  'text/plain': '.txt',
  'text/html': '.html',
  'text/calendar': '.ics',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'application/pdf': '.pdf',
};

/** Only used for HTML-only mail in a container mailparser does not derive text for. */
function roughText(html) {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;/gi, "'")
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n\s*\n+/g, '\n\n')
    .trim();
}

/** Writes one attachment to its own file while reading the first bytes for Message-IDs if it holds an original message. */
async function storeAttachment(attachment, index, written) {
  const contentType = String(attachment.contentType || 'application/octet-stream').toLowerCase();
  const filename = safeFilename(attachment.filename, `attachment-${index + 1}${FALLBACK_EXTENSIONS[contentType] ?? ''}`);
  const path = join(attachmentsDir, `${randomUUID()}${safeExtension(filename)}`);
  // Until the whole message is parsed the file carries this worker's prefix, so the pool can
  // delete what a worker it had to terminate left behind.
  const partial = join(attachmentsDir, `${partialPrefix}${randomUUID()}.partial`);
  written.push({ partial, path });
  const wantsHead = contentType === 'message/rfc822' || contentType === 'text/rfc822-headers';
  let head = '';
  let size = 0;
  const counter = new Transform({
    transform(chunk, _encoding, done) {
      size += chunk.length;
      if (wantsHead && head.length < 65536) head += chunk.toString('latin1');
      done(null, chunk);
    },
  });
  try {
    await pump(attachment.content, counter, createWriteStream(partial, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
  } finally {
    attachment.release();
  }
  const contentId = attachment.contentId ? String(attachment.contentId).trim().replace(/^<|>$/g, '').trim() || null : null;
  const headerBlock = head.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const idLine = /^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(headerBlock);
  return {
    stored: {
      filename,
      contentType,
      size,
      contentId,
      inline: contentId !== null && (attachment.related === true || attachment.contentDisposition === 'inline'),
      path,
    },
    originalIds: idLine ? messageIds(idLine[1]) : [],
  };
}

// Created once per worker rather than once per message; a failure is retried with the next message.
let dirReady = null;
function attachmentsDirReady() {
  dirReady ??= mkdir(attachmentsDir, { recursive: true, mode: PRIVATE_DIR_MODE }).catch((error) => {
    dirReady = null;
    throw error;
  });
  return dirReady;
}

async function parse(source) {
  const { parser, embeddedMessageIds } = createParser();
  const written = [];
  const stored = [];
  const originalIds = [];
  let headerLines = [];
  let text = null;
  const pending = [];

  parser.on('headerLines', (lines) => (headerLines = lines));

  const sink = new Writable({
    objectMode: true,
    write(data, _encoding, done) {
      if (data.type === 'attachment') {
        const index = pending.length;
        const job = storeAttachment(data, index, written).then((result) => {
          stored[index] = result.stored;
          originalIds.push(...result.originalIds);
        });
        pending.push(job);
        // The parser waits for release() before the next part; errors surface from Promise.all.
        job.then(() => done(), done);
      } else {
        if (data.type === 'text') text = data;
        done();
      }
    },
  });

  try {
    await attachmentsDirReady();
    if (Buffer.isBuffer(source) || source instanceof Uint8Array) {
      if (source.byteLength === 0) throw new Error('The message is empty');
      await pump(Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]), parser, sink);
    } else {
      let bytes = 0;
      const counter = new Transform({
        transform(chunk, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      await pump(createReadStream(source.path), counter, parser, sink);
      if (bytes === 0) throw new Error('The message is empty');
    }
    await Promise.all(pending);
    await Promise.all(written.map(({ partial, path }) => rename(partial, path)));
  } catch (error) {
    await Promise.all(written.flatMap(({ partial, path }) => [rm(partial, { force: true }), rm(path, { force: true })]));
    throw error;
  }

  const { headers, addressValues } = readHeaders(headerLines, parser.libmime);
  const contentType = (headers['content-type'] ?? '').toLowerCase();
  const isDeliveryReport = /^multipart\/report\b/.test(contentType) && /report-type\s*=\s*"?delivery-status/.test(contentType);
  const html = text?.html ? String(text.html) : null;
  let plain = text?.text ? String(text.text) : '';
  if (!plain && html) plain = roughText(html);
  const date = headers.date ? new Date(headers.date) : null;

  return {
    messageId: firstMessageId(headers['message-id'] ?? ''),
    inReplyTo: firstMessageId(headers['in-reply-to'] ?? ''),
    references: messageIds(headers.references ?? ''),
    subject: headers.subject ?? '',
    from: addresses(addressValues.from)[0] ?? null,
    replyTo: addresses(addressValues['reply-to']),
    to: addresses(addressValues.to),
    cc: addresses(addressValues.cc),
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    text: plain,
    html,
    attachments: stored,
    headers,
    bounceOf: isDeliveryReport ? [...new Set([...originalIds, ...embeddedMessageIds])] : [],
  };
}

async function answer({ id, source }) {
  try {
    const message = await parse(source);
    parentPort.postMessage({ id, ok: true, message });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

// The pool may hand over the next message before this one is done; they are parsed strictly one
// after the other, so a message that is given up on never takes another one down with it.
let queue = Promise.resolve();
parentPort.on('message', (job) => {
  queue = queue.then(() => answer(job));
});

parentPort.postMessage({ ready: true });
