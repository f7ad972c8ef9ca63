import { randomUUID } from 'node:crypto';
import type { SavedReply } from '../../../shared/saved-replies';
import type { Db } from './database';

interface Row {
  id: number;
  team_id: string;
  name: string;
  body: string;
  updated_at: string;
}

const toReply = (row: Row): SavedReply => ({ id: row.id, name: row.name, body: row.body, updatedAt: row.updated_at });

/**
 * The team's saved replies. A reply is named across the team's desktops by its team id (made when
 * it is first saved); the local row id is this desktop's own. Changes made here go through add,
 * update and remove; changes from the team through putFromTeam and removeByTeamId.
 */
export class SavedReplyRepo {
  constructor(private readonly db: Db) {}

  list(): SavedReply[] {
    return (this.db.prepare('SELECT * FROM saved_replies ORDER BY name COLLATE NOCASE, id').all() as Row[]).map(toReply);
  }

  listWithTeamIds(): (SavedReply & { teamId: string })[] {
    return (this.db.prepare('SELECT * FROM saved_replies ORDER BY id').all() as Row[]).map((row) => ({ ...toReply(row), teamId: row.team_id }));
  }

  get(id: number): (SavedReply & { teamId: string }) | undefined {
    const row = this.db.prepare('SELECT * FROM saved_replies WHERE id = ?').get(id) as Row | undefined;
    return row && { ...toReply(row), teamId: row.team_id };
  }

  add(reply: { name: string; body: string }, at: string): SavedReply & { teamId: string } {
    const teamId = randomUUID();
    const result = this.db
      .prepare('INSERT INTO saved_replies (team_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(teamId, reply.name, reply.body, at, at);
    return { id: Number(result.lastInsertRowid), name: reply.name, body: reply.body, updatedAt: at, teamId };
  }

  /** False when it no longer exists. */
  update(reply: { id: number; name: string; body: string }, at: string): boolean {
    return this.db.prepare('UPDATE saved_replies SET name = ?, body = ?, updated_at = ? WHERE id = ?').run(reply.name, reply.body, at, reply.id).changes > 0;
  }

  /** False when it no longer exists. */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM saved_replies WHERE id = ?').run(id).changes > 0;
  }

  /** The team's version of a saved reply; true when that changed anything here. */
  putFromTeam(reply: { teamId: string; name: string; body: string }, at: string): boolean {
    const current = this.db.prepare('SELECT * FROM saved_replies WHERE team_id = ?').get(reply.teamId) as Row | undefined;
    if (current && current.name === reply.name && current.body === reply.body) return false;
    if (current) return this.update({ id: current.id, name: reply.name, body: reply.body }, at);
    this.db
      .prepare('INSERT INTO saved_replies (team_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(reply.teamId, reply.name, reply.body, at, at);
    return true;
  }

  removeByTeamId(teamId: string): boolean {
    return this.db.prepare('DELETE FROM saved_replies WHERE team_id = ?').run(teamId).changes > 0;
  }
}
