import { randomUUID } from 'node:crypto';
import {
  teamEventSchema,
  type AgentState,
  type ConversationState,
  type NewestCustomerMail,
  type SavedReplyState,
  type TeamEvent,
  type TeamState,
} from '../../../shared/team-events';
import type { Db } from '../store/database';
import { emptyState, type Touched } from './fold';

/** Where a channel's reading of its team folder stands. */
export interface TeamCursor {
  channelId: string;
  folder: string;
  /** null until the folder was first opened. */
  uidValidity: string | null;
  lastUid: number;
  sinceSnapshot: number;
}

export interface OutboxEntry {
  seq: number;
  channelId: string;
  event: TeamEvent;
  state: 'queued' | 'appending' | 'appended';
}

const CONVERSATION = 'c:';
const AGENT = 'a:';
const SAVED_REPLY = 's:';
const RECENT = 'recent';

interface OutboxRow {
  seq: number;
  channel_id: string;
  event_json: string;
  state: OutboxEntry['state'];
}

function toEntry(row: OutboxRow): OutboxEntry {
  return { seq: row.seq, channelId: row.channel_id, event: teamEventSchema.parse(JSON.parse(row.event_json)), state: row.state };
}

/** SQL for team state: the folder cursor, the folded state, changes on their way out, and lookups. */
export class TeamRepo {
  constructor(private readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** This desktop's id among the team's, made once per data folder. */
  desktopId(): string {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = 'desktop_id'").get() as { value: string } | undefined;
    if (row?.value) return row.value;
    const id = randomUUID();
    this.db.prepare("INSERT INTO settings (key, value) VALUES ('desktop_id', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(id);
    return id;
  }

  // ---- cursor ----

  cursor(channelId: string): TeamCursor | undefined {
    const row = this.db.prepare('SELECT * FROM team_sync WHERE channel_id = ?').get(channelId) as
      { channel_id: string; folder: string; uid_validity: string | null; last_uid: number; since_snapshot: number } | undefined;
    return row && { channelId, folder: row.folder, uidValidity: row.uid_validity, lastUid: row.last_uid, sinceSnapshot: row.since_snapshot };
  }

  saveCursor(cursor: TeamCursor): void {
    this.db
      .prepare(
        `INSERT INTO team_sync (channel_id, folder, uid_validity, last_uid, since_snapshot) VALUES (@channelId, @folder, @uidValidity, @lastUid, @sinceSnapshot)
         ON CONFLICT (channel_id) DO UPDATE SET folder = excluded.folder, uid_validity = excluded.uid_validity,
           last_uid = excluded.last_uid, since_snapshot = excluded.since_snapshot`,
      )
      .run(cursor);
  }

  // ---- folded state ----

  /** The agents, the saved replies, the recent ids, and the named conversations (those that have a state). */
  load(channelId: string, conversations: Iterable<string>): TeamState {
    const state = emptyState();
    const get = this.db.prepare('SELECT state_json FROM team_state WHERE channel_id = ? AND key = ?');
    for (const ref of conversations) {
      const row = get.get(channelId, CONVERSATION + ref) as { state_json: string } | undefined;
      if (row) state.conversations[ref] = JSON.parse(row.state_json) as ConversationState;
    }
    const agents = this.db.prepare("SELECT key, state_json FROM team_state WHERE channel_id = ? AND key LIKE 'a:%'").all(channelId) as {
      key: string;
      state_json: string;
    }[];
    for (const row of agents) state.agents[row.key.slice(AGENT.length)] = JSON.parse(row.state_json) as AgentState;
    const replies = this.db.prepare("SELECT key, state_json FROM team_state WHERE channel_id = ? AND key LIKE 's:%'").all(channelId) as {
      key: string;
      state_json: string;
    }[];
    for (const row of replies) state.savedReplies[row.key.slice(SAVED_REPLY.length)] = JSON.parse(row.state_json) as SavedReplyState;
    const recent = get.get(channelId, RECENT) as { state_json: string } | undefined;
    if (recent) state.recent = JSON.parse(recent.state_json) as string[];
    return state;
  }

  loadAll(channelId: string): TeamState {
    const refs = (this.db.prepare("SELECT key FROM team_state WHERE channel_id = ? AND key LIKE 'c:%'").all(channelId) as { key: string }[]).map((row) =>
      row.key.slice(CONVERSATION.length),
    );
    return this.load(channelId, refs);
  }

  /** Writes what `touched` names, and the recent ids. */
  save(channelId: string, state: TeamState, touched: Touched): void {
    const put = this.db.prepare(
      'INSERT INTO team_state (channel_id, key, state_json) VALUES (?, ?, ?) ON CONFLICT (channel_id, key) DO UPDATE SET state_json = excluded.state_json',
    );
    for (const ref of touched.conversations) {
      const conversation = state.conversations[ref];
      if (conversation) put.run(channelId, CONVERSATION + ref, JSON.stringify(conversation));
    }
    for (const email of touched.agents) {
      const agent = state.agents[email];
      if (agent) put.run(channelId, AGENT + email, JSON.stringify(agent));
    }
    for (const reply of touched.savedReplies) {
      const saved = state.savedReplies[reply];
      if (saved) put.run(channelId, SAVED_REPLY + reply, JSON.stringify(saved));
    }
    put.run(channelId, RECENT, JSON.stringify(state.recent));
  }

  replace(channelId: string, state: TeamState): void {
    this.db.prepare('DELETE FROM team_state WHERE channel_id = ?').run(channelId);
    this.save(channelId, state, {
      conversations: new Set(Object.keys(state.conversations)),
      agents: new Set(Object.keys(state.agents)),
      savedReplies: new Set(Object.keys(state.savedReplies)),
    });
  }

  /** Every conversation reference with a team state or a change on its way. */
  allRefs(channelId: string): string[] {
    const rows = this.db
      .prepare(
        `SELECT substr(key, 3) AS ref FROM team_state WHERE channel_id = @channelId AND key LIKE 'c:%'
         UNION SELECT conversation FROM team_outbox WHERE channel_id = @channelId AND conversation IS NOT NULL`,
      )
      .all({ channelId }) as { ref: string }[];
    return rows.map((row) => row.ref);
  }

  // ---- changes on their way into the folder ----

  enqueue(channelId: string, event: TeamEvent): void {
    const conversation = 'conversation' in event ? event.conversation : null;
    this.db
      .prepare("INSERT INTO team_outbox (channel_id, event_id, conversation, event_json, state) VALUES (?, ?, ?, ?, 'queued')")
      .run(channelId, event.id, conversation, JSON.stringify(event));
  }

  /** Not yet known to be in the folder, oldest first. */
  toAppend(channelId: string): OutboxEntry[] {
    const rows = this.db.prepare("SELECT * FROM team_outbox WHERE channel_id = ? AND state <> 'appended' ORDER BY seq").all(channelId) as OutboxRow[];
    return rows.map(toEntry);
  }

  pendingFor(channelId: string, ref: string): TeamEvent[] {
    const rows = this.db.prepare('SELECT * FROM team_outbox WHERE channel_id = ? AND conversation = ? ORDER BY seq').all(channelId, ref) as OutboxRow[];
    return rows.map((row) => toEntry(row).event);
  }

  /** Changes made here that concern no one conversation (the roster, saved replies), oldest first. */
  pendingTeamWide(channelId: string): TeamEvent[] {
    const rows = this.db.prepare('SELECT * FROM team_outbox WHERE channel_id = ? AND conversation IS NULL ORDER BY seq').all(channelId) as OutboxRow[];
    return rows.map((row) => toEntry(row).event);
  }

  waiting(channelId: string): number {
    return (this.db.prepare("SELECT count(*) AS n FROM team_outbox WHERE channel_id = ? AND state <> 'appended'").get(channelId) as { n: number }).n;
  }

  markAppending(seq: number): void {
    this.db.prepare("UPDATE team_outbox SET state = 'appending' WHERE seq = ?").run(seq);
  }

  markAppended(seq: number, uid: number | null): void {
    this.db.prepare("UPDATE team_outbox SET state = 'appended', appended_uid = ? WHERE seq = ?").run(uid, seq);
  }

  /** After the folder was lost or renumbered: everything not read back goes in again. */
  requeueAll(channelId: string): void {
    this.db.prepare("UPDATE team_outbox SET state = 'queued', appended_uid = NULL WHERE channel_id = ?").run(channelId);
  }

  /** The events read back from the folder; they are part of the folded state now. */
  confirm(channelId: string, eventIds: readonly string[]): void {
    const remove = this.db.prepare('DELETE FROM team_outbox WHERE channel_id = ? AND event_id = ?');
    for (const id of eventIds) remove.run(channelId, id);
  }

  /** A snapshot up to `upTo` was read instead of the events: those it covers are in the state. */
  confirmCovered(channelId: string, upTo: number): void {
    this.db
      .prepare("DELETE FROM team_outbox WHERE channel_id = ? AND state = 'appended' AND appended_uid IS NOT NULL AND appended_uid <= ?")
      .run(channelId, upTo);
  }

  // ---- malformed messages ----

  addMalformed(channelId: string, uidValidity: string, uid: number, reason: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO team_malformed (channel_id, uid_validity, uid, reason) VALUES (?, ?, ?, ?)')
      .run(channelId, uidValidity, uid, reason);
  }

  malformed(channelId: string, uidValidity: string): Set<number> {
    const rows = this.db.prepare('SELECT uid FROM team_malformed WHERE channel_id = ? AND uid_validity = ?').all(channelId, uidValidity) as { uid: number }[];
    return new Set(rows.map((row) => row.uid));
  }

  // ---- conversations as the team names them ----

  /**
   * The reference every desktop computes for a conversation: its earliest customer message by
   * server arrival time (ties by Message-ID), by Message-ID or else by content key.
   */
  refOf(conversationId: number): string | null {
    const row = this.db
      .prepare(
        `SELECT message_id, dedupe_key FROM messages
         WHERE conversation_id = ? AND direction = 'inbound' AND (message_id IS NOT NULL OR dedupe_key IS NOT NULL)
         ORDER BY substr(arrived_at, 1, 19), coalesce(message_id, dedupe_key), id LIMIT 1`,
      )
      .get(conversationId) as { message_id: string | null; dedupe_key: string | null } | undefined;
    if (!row) return null;
    return row.message_id ? `id:${row.message_id}` : `key:${row.dedupe_key}`;
  }

  /** The conversation holding the message a reference names; undefined while that mail is not here. */
  conversationFor(channelId: string, ref: string): number | undefined {
    const [kind, value] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
    const column = kind === 'id' ? 'message_id' : 'dedupe_key';
    const row = this.db.prepare(`SELECT conversation_id FROM messages WHERE channel_id = ? AND ${column} = ? ORDER BY id LIMIT 1`).get(channelId, value) as
      { conversation_id: number } | undefined;
    return row?.conversation_id;
  }

  /** The references with team state (or changes on their way) that name a message of this conversation. */
  refsIn(channelId: string, conversationId: number): string[] {
    const rows = this.db
      .prepare(
        `WITH refs AS (
           SELECT 'id:' || message_id AS ref FROM messages WHERE conversation_id = @id AND message_id IS NOT NULL
           UNION SELECT 'key:' || dedupe_key FROM messages WHERE conversation_id = @id AND dedupe_key IS NOT NULL)
         SELECT ref FROM refs WHERE EXISTS (SELECT 1 FROM team_state WHERE channel_id = @channelId AND key = 'c:' || refs.ref)
           OR EXISTS (SELECT 1 FROM team_outbox WHERE channel_id = @channelId AND conversation = refs.ref)`,
      )
      .all({ id: conversationId, channelId }) as { ref: string }[];
    return rows.map((row) => row.ref);
  }

  /** When the latest real customer message reached the server. */
  /** The newest customer mail of a conversation: its arrival second and how many arrived then; null when none. */
  newestCustomerMail(conversationId: number): NewestCustomerMail | null {
    const row = this.db
      .prepare(
        `SELECT substr(arrived_at, 1, 19) AS second, count(*) AS count FROM messages
         WHERE conversation_id = ? AND direction = 'inbound' AND kind = 'normal'
         GROUP BY second ORDER BY second DESC LIMIT 1`,
      )
      .get(conversationId) as NewestCustomerMail | undefined;
    return row ?? null;
  }

  noteStored(eventId: string): boolean {
    return this.db.prepare('SELECT 1 FROM messages WHERE team_event_id = ?').get(eventId) !== undefined;
  }
}
