import { Worker } from 'node:worker_threads';
import { workerLocation } from '../worker-location';
import type { Db } from './database';

export interface CheckpointerOptions {
  /** The database file the main connection has open. */
  file: string;
  /** The better-sqlite3 binary for this runtime (see OpenDatabaseOptions). */
  nativeBinding?: string;
  /** How often the worker copies the log into the database. Default 500 ms. */
  intervalMs?: number;
  onError?: (error: Error) => void;
}

/** SQLite's own default: the writer checkpoints whenever the log passes this many pages. */
const AUTOCHECKPOINT_PAGES = 1000;

function checkpointerLocation(): Promise<URL | string> {
  return workerLocation(() => import('./checkpoint-worker.mjs?modulePath'), new URL('./checkpoint-worker.mjs', import.meta.url));
}

/**
 * Takes WAL checkpoints off the main thread. By default SQLite checkpoints inside the COMMIT that
 * pushes the log past 1000 pages, on the writing connection: during an import that was a third of
 * the main thread's database time, and every such commit held up IPC answers to the window. While
 * the worker runs, the main connection never checkpoints; should the worker fail or stop, the main
 * connection checkpoints by itself again, so the log never grows without bound.
 */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly options: CheckpointerOptions,
  ) {}

  async start(): Promise<void> {
    if (this.worker || this.options.file === ':memory:') return;
    this.stopping = false;
    const worker = new Worker(await checkpointerLocation(), {
      workerData: { file: this.options.file, nativeBinding: this.options.nativeBinding, intervalMs: this.options.intervalMs ?? 500 },
    });
    this.worker = worker;
    await new Promise<void>((resolve) => {
      worker.on('message', (message: { ready?: true }) => {
        if (!message.ready) return;
        if (this.worker === worker) this.db.pragma('wal_autocheckpoint = 0');
        // Ticking checkpoints must not keep a process alive that has nothing else to do.
        worker.unref();
        resolve();
      });
      worker.on('error', (error) => this.options.onError?.(error));
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = null;
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
        if (!this.stopping) this.options.onError?.(new Error('The checkpoint worker stopped; the main connection checkpoints again'));
        resolve();
      });
    });
  }

  /** Whether checkpoints currently run in the worker. */
  get running(): boolean {
    return this.worker !== null;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref(); // the process must wait for the worker to close its connection
    worker.postMessage('close');
    await exited;
  }
}
