import type { SavedReply } from '../../../shared/saved-replies';
import type { Db } from './database';

interface Row {
  id: number;
  name: string;
  body: string;
  updated_at: string;
}

const toReply = (row: Row): SavedReply => ({ id: row.id, name: row.name, body: row.body, updatedAt: row.updated_at });

/**
 * The team's saved replies. Every change goes through add, update or remove, so whatever else must
 * follow a change (telling windows, sharing it with the team) has these three places to hook into.
 */
export class SavedReplyRepo {
  constructor(private readonly db: Db) {}

  list(): SavedReply[] {
    return (this.db.prepare('SELECT * FROM saved_replies ORDER BY name COLLATE NOCASE, id').all() as Row[]).map(toReply);
  }

  get(id: number): SavedReply | undefined {
    const row = this.db.prepare('SELECT * FROM saved_replies WHERE id = ?').get(id) as Row | undefined;
    return row && toReply(row);
  }

  add(reply: { name: string; body: string }, at: string): SavedReply {
    const result = this.db
      .prepare('INSERT INTO saved_replies (name, body, created_at, updated_at) VALUES (?, ?, ?, ?)')
      .run(reply.name, reply.body, at, at);
    return { id: Number(result.lastInsertRowid), name: reply.name, body: reply.body, updatedAt: at };
  }

  /** False when it no longer exists. */
  update(reply: { id: number; name: string; body: string }, at: string): boolean {
    return this.db.prepare('UPDATE saved_replies SET name = ?, body = ?, updated_at = ? WHERE id = ?').run(reply.name, reply.body, at, reply.id).changes > 0;
  }

  /** False when it no longer exists. */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM saved_replies WHERE id = ?').run(id).changes > 0;
  }
}
