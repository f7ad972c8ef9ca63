import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp';
import { WalCheckpointer } from './checkpointer';
import { openDatabase, type Db } from './database';

const MB = 1024 * 1024;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshDatabase(): { db: Db; file: string } {
  const dir = tempDir('auxilium-wal-');
  const file = join(dir.path, 'auxilium.sqlite');
  const db = openDatabase(file, { migrations: [] });
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  cleanups.push(dir.remove, () => void db.close());
  return { db, file };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `total` MB in 1 MB transactions, as an import does, and returns the largest log file seen. */
async function writeAndWatchLog(db: Db, file: string, total: number): Promise<number> {
  const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)');
  let largest = 0;
  for (let i = 0; i < total; i++) {
    insert.run(randomBytes(MB));
    largest = Math.max(largest, statSync(`${file}-wal`).size);
    await sleep(20);
  }
  return largest;
}

describe('WalCheckpointer', () => {
  it('keeps the log small during a long import although the main connection never checkpoints', async () => {
    const { db, file } = freshDatabase();
    const checkpointer = new WalCheckpointer(db, { file, intervalMs: 50 });
    cleanups.push(() => checkpointer.stop());
    await checkpointer.start();
    expect(checkpointer.running).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    const largest = await writeAndWatchLog(db, file, 120);
    // Without anyone checkpointing, the log would hold all 120 MB (SQLite reuses it only after a checkpoint).
    expect(largest).toBeLessThan(80 * MB);
    // What was written is in the database file itself, copied there by the worker.
    expect(statSync(file).size).toBeGreaterThan(60 * MB);
    expect(db.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 120 });
    // 120 MB through the disk: on a busy machine that alone can take longer than a unit test's usual 5 s.
  }, 60_000);

  it('hands checkpoints back to the main connection when the worker stops', async () => {
    const { db, file } = freshDatabase();
    const checkpointer = new WalCheckpointer(db, { file, intervalMs: 50 });
    await checkpointer.start();
    await checkpointer.stop();
    expect(checkpointer.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
