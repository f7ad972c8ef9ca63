/// <reference types="electron-vite/node" />
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerLocation } from '../../worker-location';
import { z } from 'zod';
import { parsedMessageSchema, type ParsedMessage } from '../types';

export { classify, type MessageKind, type ClassifyContext } from './classify';

export interface ParserOptions {
  /** Where attachments are written, one file each, named by the parser (never by the sender). */
  attachmentsDir: string;
  /** A message that takes longer is given up on and its worker replaced. Default 20000. */
  timeoutMs?: number;
  /** Messages parsed at once, one per worker thread. Default 1. */
  workers?: number;
}

export type ParseResult = { ok: true; message: ParsedMessage } | { ok: false; error: string };

type Source = Buffer | { path: string };

interface Job {
  id: number;
  source: Source;
  resolve: (result: ParseResult) => void;
}

interface Slot {
  worker: Worker;
  /** Handed to this worker, which parses them one after the other: the first is being parsed, the rest wait there. */
  jobs: Job[];
  /** The time limit of the first job. */
  timer: NodeJS.Timeout | null;
  partialPrefix: string;
  /** The worker has loaded and can take a message. */
  ready: boolean;
}

/** What a parser worker posts back; parsed like any input from outside this thread. */
const workerReplySchema = z.union([
  z.object({ ready: z.literal(true) }),
  z.object({ id: z.number(), ok: z.literal(true), message: parsedMessageSchema }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.string() }),
]);

/** The parser worker, beside this file from source and bundled into out/main/chunks by the build. */
function parserLocation(): Promise<URL | string> {
  return workerLocation(() => import('./parse-worker.mjs?modulePath'), new URL('./parse-worker.mjs', import.meta.url));
}

/**
 * Parser threads the app runs: one per core, leaving one for the main thread, so a laptop with
 * more cores imports faster. Never fewer than two: the main thread is not busy all the time during
 * an import, and two workers with it and the mail server keep a two-core machine busy. At most
 * eight, since each worker may grow to WORKER_HEAP_MB.
 */
export function parserWorkerCount(cores: number = availableParallelism()): number {
  return Math.min(8, Math.max(2, cores - 1));
}

// A runaway message must not take the whole app's memory with it; the worker dies instead and
// the message is kept raw.
const WORKER_HEAP_MB = 512;
// Parsing makes much short-lived garbage; V8's default space for new objects let each worker's heap
// settle near 50 MB. A small one holds it near 25 MB at no measurable cost in speed.
const WORKER_NEW_SPACE_MB = 4;

// Messages handed to one worker at a time. With one, a worker sat idle for a round trip to the main
// thread after every message; with a second one waiting, it starts on it at once.
const WORKER_DEPTH = 2;

/** Parses raw mail in worker threads, so a slow or hostile message never blocks the main side or the next message. */
export class MailParserPool {
  private readonly attachmentsDir: string;
  private readonly timeoutMs: number;
  private readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private location: URL | string | undefined;

  constructor(options: ParserOptions) {
    this.attachmentsDir = options.attachmentsDir;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.size = Math.max(1, Math.floor(options.workers ?? 1));
  }

  /**
   * Starts a worker ahead of the first message, so loading mailparser overlaps other work (such as
   * connecting to the mail server) instead of delaying the first parse. More start once there is
   * work for them; starting them all at once would slow down the first.
   */
  warm(): void {
    void (async () => {
      this.location ??= await parserLocation();
      if (!this.closed && this.slots.length === 0) this.spawn();
    })().catch(() => undefined);
  }

  async parse(source: Source): Promise<ParseResult> {
    this.location ??= await parserLocation();
    if (this.closed) return { ok: false, error: 'The parser is closed' };
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, source, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ ok: false, error: 'The parser is closed' });
    const slots = this.slots.splice(0);
    for (const slot of slots) while (slot.jobs.length > 0) this.settle(slot, { ok: false, error: 'The parser is closed' });
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      // The least busy worker that has loaded, so a batch spreads over all of them.
      let slot: Slot | undefined;
      for (const candidate of this.slots) {
        if (candidate.ready && candidate.jobs.length < WORKER_DEPTH && (!slot || candidate.jobs.length < slot.jobs.length)) slot = candidate;
      }
      if (!slot || (slot.jobs.length > 0 && this.startMore())) {
        // Not charged to any message: a worker's start-up (loading mailparser) is not parse time.
        // Workers for waiting work start together rather than one after the other.
        while (this.startMore()) this.spawn();
        if (!slot) return;
      }
      const job = this.queue.shift()!;
      slot.jobs.push(job);
      if (slot.jobs.length === 1) this.begin(slot);
      slot.worker.ref();
      if (Buffer.isBuffer(job.source)) {
        // Cloning a Buffer copies it twice (into the message, then out of it) and takes along the
        // whole pool slab it may share. One copy of our own is moved over instead; the caller
        // keeps its Buffer (it is stored as the raw message).
        const copy = new Uint8Array(job.source.byteLength);
        copy.set(job.source);
        slot.worker.postMessage({ id: job.id, source: copy }, [copy.buffer]);
      } else {
        slot.worker.postMessage({ id: job.id, source: { path: job.source.path } });
      }
    }
  }

  /** Whether the waiting work is more than the workers that are still starting will take. */
  private startMore(): boolean {
    if (this.closed || this.slots.length >= this.size) return false;
    const starting = this.slots.filter((candidate) => !candidate.ready).length;
    const idle = this.slots.filter((candidate) => candidate.ready && candidate.jobs.length === 0).length;
    return this.queue.length > starting * WORKER_DEPTH + idle;
  }

  /** The worker starts on its first job now: its time limit runs from here. */
  private begin(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = slot.jobs.length > 0 ? setTimeout(() => this.timedOut(slot), this.timeoutMs) : null;
  }

  private spawn(): void {
    const partialPrefix = `.parse-${randomUUID()}-`;
    const worker = new Worker(this.location!, {
      workerData: { attachmentsDir: this.attachmentsDir, partialPrefix },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: WORKER_NEW_SPACE_MB },
    });
    const slot: Slot = { worker, jobs: [], timer: null, partialPrefix, ready: false };
    worker.on('message', (data: unknown) => {
      const parsed = workerReplySchema.safeParse(data);
      // Only a bug in the worker answers outside the schema; that message is kept raw rather than stored wrong.
      const reply = parsed.success
        ? parsed.data
        : {
            id: (data as { id?: unknown } | null)?.id,
            ok: false as const,
            error: `The parser answered in an unexpected form: ${z.prettifyError(parsed.error)}`,
          };
      if ('ready' in reply) {
        slot.ready = true;
      } else if (slot.jobs[0]?.id === reply.id) {
        this.settle(slot, reply.ok ? { ok: true, message: reply.message } : { ok: false, error: reply.error || 'The message could not be parsed' });
        this.begin(slot);
      }
      this.dispatch();
      if (slot.jobs.length === 0) worker.unref();
    });
    // An uncaught error or running out of memory ends the worker; 'exit' follows either way.
    let failure: string | null = null;
    worker.on('error', (error) => (failure = error.message));
    worker.on('exit', () => {
      if (!this.slots.includes(slot)) return;
      if (!slot.ready) {
        // A worker that cannot even start would fail the same way again: say so instead of looping.
        this.slots.splice(this.slots.indexOf(slot), 1);
        const error = `The mail parser could not start: ${failure ?? 'it stopped unexpectedly'}`;
        for (const job of this.queue.splice(0)) job.resolve({ ok: false, error });
        return;
      }
      this.replace(slot, failure ?? 'The parser stopped unexpectedly');
      void this.removePartialFiles(partialPrefix);
    });
    this.slots.push(slot);
  }

  private timedOut(slot: Slot): void {
    const seconds = Number((this.timeoutMs / 1000).toFixed(3));
    this.replace(slot, `Parsing took longer than ${seconds} s; the message is kept as received`);
    void slot.worker.terminate().then(() => this.removePartialFiles(slot.partialPrefix));
  }

  /**
   * Gives up on the message the slot's worker was parsing; the ones waiting behind it were not
   * started, so they go back to the front of the queue for a fresh worker.
   */
  private replace(slot: Slot, error: string): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    this.settle(slot, { ok: false, error });
    this.queue.unshift(...slot.jobs.splice(0));
    if (!this.closed) this.dispatch();
  }

  /** Answers the slot's first job. */
  private settle(slot: Slot, result: ParseResult): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.jobs.shift()?.resolve(result);
  }

  /** A terminated worker cannot clean up after itself; its unfinished attachment files carry its prefix. */
  private async removePartialFiles(prefix: string): Promise<void> {
    try {
      const names = await readdir(this.attachmentsDir);
      await Promise.all(names.filter((name) => name.startsWith(prefix)).map((name) => rm(join(this.attachmentsDir, name), { force: true })));
    } catch {
      // nothing written yet, or the folder is gone: nothing to clean
    }
  }
}
