import { readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Db } from './database';

/**
 * Files are written before the transaction that refers to them (raw mail, attachments of inbound
 * mail, files attached to drafts), so a crash in between leaves a file nothing refers to. Harmless, but it
 * takes disk space for good; this removes such files. Only files older than `minAgeMs` go: a file
 * that young may belong to a transaction still on its way (another process on the same folder).
 */
export async function sweepUnreferencedFiles(db: Db, folders: readonly string[], options: { minAgeMs?: number; now?: () => number } = {}): Promise<string[]> {
  const minAgeMs = options.minAgeMs ?? 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  // By file name, not full path: the names are unique (random or by content), and a data folder
  // that was moved must not make every file look unreferenced.
  const referenced = new Set<string>();
  for (const { path } of db.prepare('SELECT path FROM attachments UNION ALL SELECT path FROM draft_attachments').iterate() as Iterable<{ path: string }>) {
    referenced.add(basename(path));
  }
  for (const { path } of db.prepare('SELECT raw_path AS path FROM messages WHERE raw_path IS NOT NULL').iterate() as Iterable<{ path: string }>) {
    referenced.add(basename(path));
  }
  // Sent mail parked until its conversation is known keeps its files too (MailStore.park).
  const parked = db.prepare(
    `SELECT message_json ->> '$.rawPath' AS path FROM parked_messages
     UNION ALL SELECT a.value ->> '$.path' FROM parked_messages p, json_each(p.message_json, '$.attachments') a`,
  );
  for (const { path } of parked.iterate() as Iterable<{ path: string | null }>) if (path) referenced.add(basename(path));
  const removed: string[] = [];
  for (const folder of folders) {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      if (referenced.has(entry.name)) continue;
      const path = join(folder, entry.name);
      const info = await stat(path).catch(() => undefined);
      if (!info || now() - info.mtimeMs < minAgeMs) continue;
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}
