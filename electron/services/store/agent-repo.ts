import type { Agent } from '../../../shared/conversation';
import type { Db } from './database';

const ME_AGENT_ID = 'me_agent_id';

/** Agents (the people who answer) and this app's settings. */
export class AgentRepo {
  constructor(private readonly db: Db) {}

  list(): Agent[] {
    return this.db.prepare('SELECT id, name, email, signature FROM agents ORDER BY name COLLATE NOCASE, id').all() as Agent[];
  }

  get(id: number): Agent | undefined {
    return this.db.prepare('SELECT id, name, email, signature FROM agents WHERE id = ?').get(id) as Agent | undefined;
  }

  byEmail(email: string): Agent | undefined {
    return this.db.prepare('SELECT id, name, email, signature FROM agents WHERE email = ?').get(email) as Agent | undefined;
  }

  /** The ids in `ids` that still exist, in the given order. */
  existing(ids: readonly number[]): number[] {
    const get = this.db.prepare('SELECT 1 FROM agents WHERE id = ?');
    return ids.filter((id) => get.get(id) !== undefined);
  }

  insert(agent: Pick<Agent, 'name' | 'email'>): Agent {
    const result = this.db.prepare('INSERT INTO agents (name, email) VALUES (?, ?)').run(agent.name, agent.email);
    return { id: Number(result.lastInsertRowid), name: agent.name, email: agent.email, signature: '' };
  }

  /** Name and email; the signature stays as it is. */
  update(agent: Pick<Agent, 'id' | 'name' | 'email'>): boolean {
    return this.db.prepare('UPDATE agents SET name = ?, email = ? WHERE id = ?').run(agent.name, agent.email, agent.id).changes > 0;
  }

  setSignature(id: number, signature: string): boolean {
    return this.db.prepare('UPDATE agents SET signature = ? WHERE id = ?').run(signature, id).changes > 0;
  }

  delete(id: number): boolean {
    return this.db.transaction(() => {
      if (this.meAgentId() === id) this.setMeAgentId(null);
      return this.db.prepare('DELETE FROM agents WHERE id = ?').run(id).changes > 0;
    })();
  }

  meAgentId(): number | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(ME_AGENT_ID) as { value: string | null } | undefined;
    const id = row?.value == null ? null : Number(row.value);
    return id !== null && Number.isInteger(id) ? id : null;
  }

  setMeAgentId(id: number | null): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(ME_AGENT_ID, id === null ? null : String(id));
  }
}
