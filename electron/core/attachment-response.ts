import type { ReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { withoutDirectionControls } from '../../shared/display-text';

/**
 * How an attachment leaves the app, shared by the web host (`GET /attachments/:id`) and the desktop
 * shell (`app://auxilium/attachments/<id>`). Electron-free so both, and the tests, use the same rules:
 *
 * - always a download (`Content-Disposition: attachment`), never rendered: the type is
 *   `application/octet-stream` whatever the sender claimed, so an HTML or SVG attachment cannot run
 *   in the app's origin; `nosniff` and a sandboxing CSP back that up;
 * - the original name travels RFC 6266 / RFC 5987 encoded (`filename*=UTF-8''…`) with a plain ASCII
 *   fallback; a name can never add a header or a parameter, nor name a folder.
 */

export interface AttachmentFile {
  path: string;
  filename: string;
  contentType: string;
  size: number;
}

/** Attachment ids in URLs: a positive whole number, nothing else (no signs, dots, slashes or encodings). */
export function parseAttachmentId(segment: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(segment)) return undefined;
  return Number(segment);
}

/** The URL path the renderer links to; the id is the rest of it. */
export const ATTACHMENT_PATH_PREFIX = '/attachments/';

const FALLBACK_NAME = 'attachment';
const MAX_NAME_LENGTH = 200;

/**
 * A file name safe to offer in a save dialog: the last path segment only, no control or
 * invisible formatting characters (CR, LF, NUL, bidi overrides…), no characters Windows forbids,
 * no leading dots or trailing dots/spaces, and never empty.
 */
export function safeFilename(name: string): string {
  const lastSegment = name.split(/[/\\]/).pop() ?? '';
  let clean = withoutDirectionControls(lastSegment)
    .normalize('NFC')
    // C0/C1 controls, DEL, and Unicode format/separator characters that can disguise an extension.
    .replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u180e\u200b-\u200d\u2028\u2029\u2060-\u2065\u206a-\u206f\ufeff\ufff9-\ufffb]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[\s.]+/, '')
    .replace(/[\s.]+$/, '');
  if ([...clean].length > MAX_NAME_LENGTH) {
    // Keep the extension when shortening.
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = [...clean.slice(0, clean.length - ext.length)].slice(0, MAX_NAME_LENGTH - ext.length).join('') + ext;
  }
  return clean || FALLBACK_NAME;
}

/** RFC 5987 `value-chars`: attr-char as is, every other byte of the UTF-8 form as %XX. */
function encodeRfc5987(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The `Content-Disposition` value for a download of a file called `name` (RFC 6266). */
export function contentDisposition(name: string): string {
  const safe = safeFilename(name);
  // The quoted fallback for old clients: printable ASCII only, and never a quote or backslash.
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}

/** Response headers for an attachment download of `size` bytes (the size of the file on disk). */
export function attachmentHeaders(filename: string, size: number): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': contentDisposition(filename),
    'Content-Length': String(size),
    'X-Content-Type-Options': 'nosniff',
    // Should a browser render it anyway: no script, no loads, an opaque origin.
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

/** True when `path` lies inside `dir` (after resolving `..`); stored paths outside it are never served. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && rel.split(sep)[0] !== '..' && !isAbsolute(rel);
}

/**
 * Opens an attachment for a streamed download: its headers (with the size of the file as it is on
 * disk) and a read stream. Undefined when there is no such regular file any more.
 */
export async function openAttachment(file: AttachmentFile): Promise<{ headers: Record<string, string>; size: number; stream: ReadStream } | undefined> {
  let handle;
  try {
    handle = await open(file.path, 'r');
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      return undefined;
    }
    return { headers: attachmentHeaders(file.filename, info.size), size: info.size, stream: handle.createReadStream() };
  } catch {
    await handle.close().catch(() => undefined);
    return undefined;
  }
}

/** Pictures a mail may show inside its HTML (`cid:`): raster types only, as an SVG is a document. */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** Per message; pictures past it stay downloadable from the attachment list. */
export const MAX_INLINE_IMAGE_BYTES = 10 * 1024 * 1024;

export interface InlineImageFile {
  contentId: string;
  contentType: string;
  path: string;
  size: number;
}

/**
 * A message's inline pictures as `data:` URLs, for the renderer to put where its HTML says `cid:`.
 * The mail frame's CSP allows `data:` images and nothing else by default, so no new way out of the
 * sandbox is opened; files of other types are left out.
 */
export async function inlineImages(files: readonly InlineImageFile[]): Promise<{ contentId: string; dataUrl: string }[]> {
  const out: { contentId: string; dataUrl: string }[] = [];
  let total = 0;
  for (const file of files) {
    const type = file.contentType.toLowerCase();
    if (!INLINE_IMAGE_TYPES.has(type) || total + file.size > MAX_INLINE_IMAGE_BYTES) continue;
    const bytes = await readFile(file.path).catch(() => undefined);
    if (!bytes) continue;
    total += bytes.length;
    out.push({ contentId: file.contentId, dataUrl: `data:${type};base64,${bytes.toString('base64')}` });
  }
  return out;
}
