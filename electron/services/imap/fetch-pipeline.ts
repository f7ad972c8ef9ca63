import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { PRIVATE_FILE_MODE } from '../file-modes';
import type { FetchedMessage } from '../ingest/types';
import { searchUids } from './search';

/**
 * Fetching a mailbox's messages in batches, pipelined: while one batch is parsed and stored, the
 * next is fetched (the server answers commands in order) and, with an ingestor that keeps the order
 * itself, already handed over. Small messages are held in memory, large ones are spooled to
 * temporary files that are removed once their batch is stored. Which UIDs to fetch, and what the
 * cursor is, is the watcher's (watcher.ts); this module only moves bytes from the session to ingest.
 */

/** What is known of a message before its body is read. */
export interface MessageMeta {
  uid: number;
  size: number;
  internalDate?: Date;
  answered: boolean;
}

/** How the stored batch moves the mailbox's cursor (see Ingestor.ingest). */
export interface CursorMove {
  advanceTo?: number;
  backfillBelow?: number | null;
}

export interface FetchPipelineOptions {
  /** Messages per batch. */
  batchSize: number;
  /** Messages above this size are streamed to a temporary file instead of held in memory. */
  largeMessageBytes: number;
  /** Where large messages are spooled while ingest reads them. */
  tempDir?: string;
  /** The deadline of one IMAP step; a large download gets one per 5 MB. */
  commandTimeoutMs: number;
  /** The ingestor stores batches in the order they are handed over, so the next may be handed over before this one is stored. */
  keepsOrder: boolean;
  /** Runs one IMAP step under a deadline (the session's, so a stalled server ends the session). */
  step<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T>;
  /** True once the session is ending: no batch is handed over after that. */
  stopped(): boolean;
  /** Stores one batch; the batch's spooled files are removed when it returns or throws. */
  ingest(messages: FetchedMessage[], move: CursorMove): Promise<void>;
  /** After a batch is stored, in batch order (e.g. marking it \Seen). */
  afterStored?(batch: MessageMeta[]): Promise<void>;
  /** Said when a batch that carries a progress text is handed over. */
  progress?(message: string): void;
}

// A batch of small messages is held in memory at once; this bounds it whatever their count.
const BATCH_BYTES = 32 * 1024 * 1024;

// Batches on their way at once: while one is parsed and stored, the next is fetched and (with an
// ingestor that keeps order itself) handed over, so its parsing overlaps storing the one before.
const FLOW_DEPTH = 2;

/** Temporary files of large messages, per batch. */
interface SpoolEntry {
  dir: string;
  streams: { destroy(): void }[];
}

interface FetchedBatch {
  messages: FetchedMessage[];
  spool: SpoolEntry[];
}

/** Batches fetched ahead and stored in order during one run (see enqueue). */
export interface BatchFlow {
  /** Batches not yet known to be finished, oldest first. */
  pending: { done: Promise<void>; bytes: number }[];
  /** Settles once the last batch added is handed to the ingestor (rejects when it never will be). */
  handedOver: Promise<void> | undefined;
}

/** Raised when the session ends while a batch waits to be handed over. */
export function connectionLost(): Error {
  return Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
}

/** One pipeline per IMAP session; `release()` when the session ends removes what is still spooled. */
export class FetchPipeline {
  /** Temporary files of large messages in the batches on their way. */
  private spooled: SpoolEntry[] = [];

  constructor(
    private readonly client: ImapFlow,
    private readonly opts: FetchPipelineOptions,
  ) {}

  /** UID, size, arrival date and \Answered of the messages in a UID range; no bodies. */
  async list(range: string): Promise<MessageMeta[]> {
    return this.opts.step(async () => {
      const metas: MessageMeta[] = [];
      // Only collected here: running any other command inside this loop would deadlock the session.
      for await (const msg of this.client.fetch(range, { uid: true, size: true, internalDate: true, flags: true }, { uid: true })) {
        metas.push({ uid: msg.uid, size: msg.size ?? 0, internalDate: toDate(msg.internalDate), answered: msg.flags?.has('\\Answered') ?? false });
      }
      return metas;
    });
  }

  /** Splits by count and by bytes held in memory; large messages are spooled to disk and cost nothing here. */
  batches(metas: MessageMeta[]): MessageMeta[][] {
    const out: MessageMeta[][] = [];
    let batch: MessageMeta[] = [];
    let bytes = 0;
    for (const meta of metas) {
      const inMemory = this.inMemory(meta);
      if (batch.length > 0 && (batch.length >= this.opts.batchSize || bytes + inMemory > BATCH_BYTES)) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(meta);
      bytes += inMemory;
    }
    if (batch.length > 0) out.push(batch);
    return out;
  }

  /**
   * Runs `body`, which adds batches with enqueue(), and waits for every batch to be stored. On a
   * failure it still waits for the batches on their way to settle, so none is stored after the
   * session ended.
   */
  async run(body: (flow: BatchFlow) => Promise<void>): Promise<void> {
    const flow: BatchFlow = { pending: [], handedOver: undefined };
    try {
      await body(flow);
      while (flow.pending.length > 0) await flow.pending.shift()!.done;
    } catch (error) {
      await Promise.allSettled(flow.pending.splice(0).map((p) => p.done));
      throw error;
    }
  }

  /**
   * Fetches a batch now (the server answers commands in order, so this overlaps storing the batches
   * before it) and stores it once the one before it is stored, or handed over to an ingestor that
   * keeps the order itself. Returns when the batch is on its way and few enough others are.
   */
  async enqueue(flow: BatchFlow, batch: MessageMeta[], move: CursorMove, progress?: string): Promise<void> {
    const before = flow.pending.at(-1)?.done;
    const beforeHandedOver = flow.handedOver;
    const fetching = this.fetchSources(batch);
    let handOver!: () => void;
    let neverHandedOver!: (error: unknown) => void;
    const handedOver = new Promise<void>((resolve, reject) => {
      handOver = resolve;
      neverHandedOver = reject;
    });
    handedOver.catch(() => undefined);
    const done = (async () => {
      let fetched: FetchedBatch | undefined;
      let ingesting: Promise<void>;
      try {
        fetched = await fetching;
        if (this.opts.keepsOrder) await beforeHandedOver;
        else await before;
        if (this.opts.stopped()) throw connectionLost();
        if (progress) this.opts.progress?.(progress);
        ingesting = this.ingest(fetched, move);
      } catch (error) {
        if (fetched) await this.release(fetched.spool);
        neverHandedOver(error);
        throw error;
      }
      handOver();
      await ingesting;
      // In order, each only after its batch is stored; the one before may still be at it.
      await before?.catch(() => undefined);
      await this.opts.afterStored?.(batch);
    })();
    done.catch(() => undefined);
    flow.handedOver = handedOver;
    const bytes = batch.reduce((sum, m) => sum + this.inMemory(m), 0);
    flow.pending.push({ done, bytes });
    // Few enough on their way: by count, and by bytes held in memory.
    while (flow.pending.length > 1 && (flow.pending.length >= FLOW_DEPTH || flow.pending.reduce((sum, p) => sum + p.bytes, 0) > BATCH_BYTES)) {
      await flow.pending.shift()!.done;
    }
  }

  /** Removes the given temporary files, or, when the session ends, all of them. */
  async release(only?: SpoolEntry[]): Promise<void> {
    const entries = only ?? this.spooled.slice();
    this.spooled = this.spooled.filter((entry) => !entries.includes(entry));
    for (const entry of entries) {
      for (const stream of entry.streams) stream.destroy();
      await rm(entry.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private inMemory(meta: MessageMeta): number {
    return meta.size > this.opts.largeMessageBytes ? 0 : meta.size;
  }

  private async ingest(fetched: FetchedBatch, move: CursorMove): Promise<void> {
    try {
      await this.opts.ingest(fetched.messages, move);
    } finally {
      await this.release(fetched.spool);
    }
  }

  /** The raw messages of a batch, in the batch's order. BODY.PEEK only: fetching never sets \Seen. */
  private async fetchSources(batch: MessageMeta[]): Promise<FetchedBatch> {
    const spool: SpoolEntry[] = [];
    if (batch.length === 0) return { messages: [], spool };
    try {
      return { messages: await this.fetchBatch(batch, spool), spool };
    } catch (error) {
      await this.release(spool);
      throw error;
    }
  }

  private async fetchBatch(batch: MessageMeta[], spool: SpoolEntry[]): Promise<FetchedMessage[]> {
    const small = batch.filter((m) => m.size <= this.opts.largeMessageBytes);
    const sources = new Map<number, FetchedMessage['source']>();
    if (small.length > 0) {
      const rows = await this.opts.step(async () => {
        const collected: FetchMessageObject[] = [];
        for await (const msg of this.client.fetch(small.map((m) => m.uid).join(','), { uid: true, source: true }, { uid: true })) {
          collected.push(msg);
        }
        return collected;
      });
      for (const row of rows) if (row.source) sources.set(row.uid, row.source);
    }
    for (const meta of batch) {
      if (meta.size <= this.opts.largeMessageBytes) continue;
      const stream = await this.spool(meta, spool);
      if (stream) sources.set(meta.uid, stream);
    }
    // The cursor moves past the whole batch, so a message that came back without a source must
    // really be gone (expunged meanwhile); one that still exists is retried rather than skipped.
    const missing = batch.filter((meta) => !sources.has(meta.uid)).map((meta) => meta.uid);
    if (missing.length > 0) {
      const still = await this.opts.step(() => searchUids(this.client, { uid: missing.join(',') }));
      if (still.length > 0) {
        throw Object.assign(new Error(`The server did not return message ${missing.join(', ')}`), { code: 'FetchIncomplete' });
      }
    }
    return batch.flatMap((meta) => {
      const source = sources.get(meta.uid);
      return source
        ? [{ uid: meta.uid, size: meta.size, source, answered: meta.answered, ...(meta.internalDate ? { internalDate: meta.internalDate } : {}) }]
        : [];
    });
  }

  /**
   * Downloads one large message to a temporary file and returns a stream of it. The download must
   * finish before the next command: imapflow holds the session for an open download.
   */
  private async spool(meta: MessageMeta, batchSpool: SpoolEntry[]): Promise<FetchedMessage['source'] | undefined> {
    const dir = await mkdtemp(join(this.opts.tempDir ?? tmpdir(), 'auxilium-spool-'));
    const entry: SpoolEntry = { dir, streams: [] };
    this.spooled.push(entry);
    batchSpool.push(entry);
    const file = join(dir, `${meta.uid}.eml`);
    // Slow links get more time for big messages: one command deadline per 5 MB.
    const deadline = this.opts.commandTimeoutMs * Math.ceil(meta.size / (5 * 1024 * 1024));
    const found = await this.opts.step(
      async () => {
        const download = await this.client.download(String(meta.uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
        if (!download.content) return false;
        await pipeline(download.content, createWriteStream(file, { mode: PRIVATE_FILE_MODE }));
        return true;
      },
      Math.max(deadline, this.opts.commandTimeoutMs),
    );
    if (!found) return undefined;
    const stream = createReadStream(file);
    entry.streams.push(stream);
    return stream;
  }
}

function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
