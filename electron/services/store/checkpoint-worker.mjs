// @ts-check
// Checkpoints the app's SQLite write-ahead log for WalCheckpointer (checkpointer.ts), on a
// connection of its own in a worker thread, so copying the log into the database file (and the
// fsync that comes with it) never stalls the main thread. Plain JavaScript for the same reason as
// the parser worker: it runs as-is from the source tree and is bundled by electron-vite for the app.

import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

if (!parentPort) throw new Error('checkpoint-worker.mjs runs only as a worker thread');
const port = parentPort;
const { file, nativeBinding, intervalMs } = workerData;
const db = new Database(file, nativeBinding ? { nativeBinding } : {});
// Same durability as the main connection: the checkpoint syncs the log before and the file after.
db.pragma('synchronous = NORMAL');

// PASSIVE never waits for and never blocks the writer; what it cannot copy now it copies next time.
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), intervalMs);
port.on('message', (message) => {
  if (message === 'close') {
    clearInterval(timer);
    db.close();
    port.close();
  }
});
port.postMessage({ ready: true });
