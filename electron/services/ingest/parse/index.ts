/// <reference types="electron-vite/node" />
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ParsedMessage } from '../types';

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
  job: Job | null;
  timer: NodeJS.Timeout | null;
  partialPrefix: string;
  /** The worker has loaded and can take a message. */
  ready: boolean;
}

type WorkerReply = { id: number; ok: true; message: ParsedMessage } | { id: number; ok: false; error: string };

/**
 * Where the worker script is. The worker is plain JavaScript so the source tree needs no loader:
 * under vitest and tsx it is simply the file beside this one. electron-vite bundles main into one
 * file and does not copy `new URL('./x', import.meta.url)` targets in that build, so the built app
 * takes the path from electron-vite's `?modulePath` import, which bundles the worker beside
 * out/main/index.js. That import exists only in the build (vitest cannot resolve it), hence the
 * dynamic import behind import.meta.env.PROD, which Vite sets at build time, vitest leaves false
 * and plain Node leaves undefined.
 */
async function workerLocation(): Promise<URL | string> {
  const env = (import.meta as ImportMeta & { env?: { PROD?: boolean } }).env;
  if (env?.PROD) return (await import('./parse-worker.mjs?modulePath')).default;
  return new URL('./parse-worker.mjs', import.meta.url);
}

// A runaway message must not take the whole app's memory with it; the worker dies instead and
// the message is kept raw.
const WORKER_HEAP_MB = 512;

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

  async parse(source: Source): Promise<ParseResult> {
    this.location ??= await workerLocation();
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
    for (const slot of slots) this.settle(slot, { ok: false, error: 'The parser is closed' });
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((candidate) => candidate.ready && candidate.job === null);
      if (!slot) {
        // Not charged to any message: a worker's start-up (loading mailparser) is not parse time.
        if (this.slots.every((candidate) => candidate.job !== null) && this.slots.length < this.size) this.spawn();
        return;
      }
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => this.timedOut(slot), this.timeoutMs);
      slot.worker.postMessage({ id: job.id, source: Buffer.isBuffer(job.source) ? job.source : { path: job.source.path } });
    }
  }

  private spawn(): void {
    const partialPrefix = `.parse-${randomUUID()}-`;
    const worker = new Worker(this.location!, {
      workerData: { attachmentsDir: this.attachmentsDir, partialPrefix },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const slot: Slot = { worker, job: null, timer: null, partialPrefix, ready: false };
    worker.on('message', (reply: WorkerReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
      } else if (slot.job?.id === reply.id) {
        this.settle(slot, reply.ok ? { ok: true, message: reply.message } : { ok: false, error: reply.error || 'The message could not be parsed' });
      }
      this.dispatch();
      if (!slot.job) worker.unref();
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

  /** Gives up on the slot's message and lets a fresh worker take the next one. */
  private replace(slot: Slot, error: string): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    this.settle(slot, { ok: false, error });
    if (!this.closed) this.dispatch();
  }

  private settle(slot: Slot, result: ParseResult): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const job = slot.job;
    slot.job = null;
    job?.resolve(result);
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
