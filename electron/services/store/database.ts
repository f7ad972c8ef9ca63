import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../file-modes';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /**
   * Path to a better-sqlite3 binary built for the running runtime. Electron has its own ABI, so the
   * app passes an Electron build here while tests under Node use the one in node_modules.
   */
  nativeBinding?: string;
  migrations?: readonly Migration[];
}

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    // SQLite gives its -wal and -shm files the database file's mode, so a private file keeps them private too.
    closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
    chmodSync(file, PRIVATE_FILE_MODE);
  }
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // WAL with synchronous=NORMAL is durable against application crashes and fast enough for imports.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // After a large import the log file shrinks back to this size once it is checkpointed.
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  migrate(db, options.migrations ?? MIGRATIONS);
  return db;
}

/** Applies every migration above the database's version, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(
      `This data was written by a newer version of Auxilium Desktop (schema ${current}, this version knows ${newest}). Update the app to open it.`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
