// Stands in for the SQLite ingestor ONLY in the mailbox watcher tests: it keeps the same contract
// (cursor moved together with the batch, idempotent, recognises a message seen again by its
// Message-ID after a UIDVALIDITY change) without parsing, threading or storing anything real.
import type { Readable } from 'node:stream';
import type { FetchedMessage, IngestOutcome, Ingestor } from '../../electron/services/ingest/types';
import type { MailboxPosition, SyncCursor } from '../../electron/services/store/sync-cursor';

export interface StoredMessage {
  uid: number;
  uidValidity: string;
  messageId: string | null;
  subject: string | null;
  size: number;
  /** Whether the watcher handed the source over as a stream (large messages). */
  streamed: boolean;
  raw: Buffer;
}

export interface IngestCall {
  position: MailboxPosition;
  uids: number[];
  move: { advanceTo?: number; backfillBelow?: number | null };
}

export class MemoryIngestor implements Ingestor {
  readonly cursors = new Map<string, SyncCursor>();
  readonly messages: StoredMessage[] = [];
  readonly calls: IngestCall[] = [];
  duplicates = 0;
  /** Runs before each batch is stored; tests use it to slow ingest down or to act mid-import. */
  beforeIngest: ((call: IngestCall) => Promise<void> | void) | undefined;
  private readonly byUid = new Set<string>();
  private readonly byMessageId = new Set<string>();
  private readonly listeners = new Set<() => void>();

  cursor(channelId: string, mailbox: string): SyncCursor | undefined {
    const c = this.cursors.get(key(channelId, mailbox));
    return c ? { ...c } : undefined;
  }

  resetCursor(cursor: SyncCursor): void {
    this.cursors.set(key(cursor.channelId, cursor.mailbox), { ...cursor });
  }

  async ingest(position: MailboxPosition, messages: FetchedMessage[], move: { advanceTo?: number; backfillBelow?: number | null }): Promise<IngestOutcome> {
    const call: IngestCall = { position: { ...position }, uids: messages.map((m) => m.uid), move: { ...move } };
    this.calls.push(call);
    await this.beforeIngest?.(call);
    // Read everything first, then "commit": a failure while reading leaves nothing half-stored.
    const read = await Promise.all(messages.map(async (m) => ({ m, raw: await readAll(m.source), streamed: !Buffer.isBuffer(m.source) })));
    let duplicates = 0;
    for (const { m, raw, streamed } of read) {
      const uidKey = `${position.channelId}\0${position.mailbox}\0${position.uidValidity}\0${m.uid}`;
      const messageId = header(raw, 'message-id');
      if (this.byUid.has(uidKey) || (messageId && this.byMessageId.has(messageId))) {
        this.byUid.add(uidKey);
        duplicates += 1;
        continue;
      }
      this.byUid.add(uidKey);
      if (messageId) this.byMessageId.add(messageId);
      this.messages.push({ uid: m.uid, uidValidity: position.uidValidity, messageId, subject: header(raw, 'subject'), size: m.size, streamed, raw });
    }
    this.duplicates += duplicates;
    const k = key(position.channelId, position.mailbox);
    const cursor = this.cursors.get(k);
    if (!cursor || cursor.uidValidity !== position.uidValidity) throw new Error('ingest for a mailbox position without a cursor');
    if (move.advanceTo !== undefined) cursor.lastUid = Math.max(cursor.lastUid, move.advanceTo);
    if (move.backfillBelow !== undefined) cursor.backfillBelowUid = move.backfillBelow;
    for (const listener of this.listeners) listener();
    return { created: [], touched: [], duplicates, unparsed: 0 };
  }

  subjects(): string[] {
    return this.messages.map((m) => m.subject ?? '');
  }

  /** Resolves once `predicate` holds after some batch (or already holds). */
  waitFor(predicate: (self: this) => boolean, timeoutMs = 20_000, what = 'the expected messages'): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; have ${this.messages.length} messages: ${this.subjects().slice(-5).join(' | ')}`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }
}

function key(channelId: string, mailbox: string): string {
  return `${channelId}\0${mailbox}`;
}

async function readAll(source: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(source)) return source;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** One unfolded header value from the raw message head; enough for test mail. */
function header(raw: Buffer, name: string): string | null {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw
    .subarray(0, end < 0 ? Math.min(raw.length, 65536) : end)
    .toString('utf8')
    .replace(/\r\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return match ? match[1]!.trim() : null;
}
