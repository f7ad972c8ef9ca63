import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../file-modes';

/**
 * Keeps every fetched message exactly as received, before anything tries to parse it.
 *
 * Messages up to INLINE_LIMIT go into SQLite as a BLOB: they commit atomically with their row and
 * a mailbox of small mails does not become tens of thousands of tiny files. Larger ones are written
 * to `raw/<sha256>.eml` so the database stays small and they are streamed rather than held in
 * memory. The file is written before the transaction; naming it by content makes a retry reuse it,
 * and a crash in between leaves at most an unreferenced file, never a row without its bytes.
 */
export const INLINE_LIMIT = 256 * 1024;

export interface StoredRaw {
  /** The bytes, when small enough to keep inline. */
  blob: Buffer | null;
  /** The file holding the bytes, for large messages. */
  path: string | null;
  size: number;
  sha256: string;
  /** sha256 of everything after the header block: equal for the same mail delivered twice with different trace headers. */
  bodySha256: string;
}

/** Hashes the bytes after the first blank line, fed in arbitrary chunks. */
export class BodyHasher {
  private readonly hash: Hash = createHash('sha256');
  private inBody = false;
  private tail: Buffer = Buffer.alloc(0);

  update(chunk: Buffer): void {
    if (this.inBody) {
      this.hash.update(chunk);
      return;
    }
    // A blank line split across chunks is found by carrying the last three bytes along; a match
    // entirely inside those bytes would have been found with the previous chunk.
    // (Without a carried tail the chunk is searched as it is: no copy of a whole message.)
    const joined = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    const crlf = joined.indexOf('\r\n\r\n');
    const lf = joined.indexOf('\n\n');
    const ends = [crlf === -1 ? -1 : crlf + 4, lf === -1 ? -1 : lf + 2].filter((end) => end !== -1);
    if (ends.length === 0) {
      this.tail = joined.subarray(Math.max(0, joined.length - 3));
      return;
    }
    this.inBody = true;
    this.hash.update(joined.subarray(Math.min(...ends)));
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export class RawStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  }

  async save(source: Buffer | Readable): Promise<StoredRaw> {
    if (Buffer.isBuffer(source)) return this.saveBuffer(source);
    const temp = join(this.dir, `.incoming-${randomUUID()}`);
    const whole = createHash('sha256');
    const body = new BodyHasher();
    let size = 0;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer | string>) {
          for await (const piece of chunks) {
            const chunk = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece;
            size += chunk.length;
            whole.update(chunk);
            body.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temp, { mode: PRIVATE_FILE_MODE }),
      );
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
    const sha256 = whole.digest('hex');
    if (size <= INLINE_LIMIT) {
      const blob = await readFile(temp);
      rmSync(temp, { force: true });
      return { blob, path: null, size, sha256, bodySha256: body.digest() };
    }
    const path = join(this.dir, `${sha256}.eml`);
    renameSync(temp, path);
    return { blob: null, path, size, sha256, bodySha256: body.digest() };
  }

  /** The stored bytes again, for the parser. */
  open(raw: StoredRaw): Buffer | Readable {
    return raw.blob ?? createReadStream(raw.path as string);
  }

  private async saveBuffer(source: Buffer): Promise<StoredRaw> {
    const sha256 = createHash('sha256').update(source).digest('hex');
    const body = new BodyHasher();
    body.update(source);
    if (source.length <= INLINE_LIMIT) return { blob: source, path: null, size: source.length, sha256, bodySha256: body.digest() };
    const path = join(this.dir, `${sha256}.eml`);
    const temp = `${path}.${randomUUID()}`;
    await pipeline(
      async function* () {
        yield source;
      },
      createWriteStream(temp, { mode: PRIVATE_FILE_MODE }),
    );
    renameSync(temp, path);
    return { blob: null, path, size: source.length, sha256, bodySha256: body.digest() };
  }
}

/** Up to `limit` bytes of a stored message, for showing mail that could not be parsed. */
export async function readRaw(raw: { raw: Buffer | null; rawPath: string | null }, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  if (raw.raw) return { bytes: raw.raw.subarray(0, limit), truncated: raw.raw.length > limit };
  if (!raw.rawPath) return { bytes: Buffer.alloc(0), truncated: false };
  const chunks: Buffer[] = [];
  let total = 0;
  let truncated = false;
  for await (const chunk of createReadStream(raw.rawPath, { end: limit })) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    total += buffer.length;
  }
  let bytes = Buffer.concat(chunks);
  if (total > limit) {
    bytes = bytes.subarray(0, limit);
    truncated = true;
  }
  return { bytes, truncated };
}
