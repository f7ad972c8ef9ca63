import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp';
import { channelRecord, fetched, insertVersion2Channel, mail, openHarness } from '../../../test/support/mail-harness';
import { ChannelRepo } from './channel-repo';
import { openDatabase } from './database';
import { MIGRATIONS } from './migrations';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('mail store schema', () => {
  it('upgrades a version-2 database with channels to the mail schema', () => {
    const dir = tempDir('auxilium-mig-');
    cleanups.push(dir.remove);
    const file = join(dir.path, 'auxilium.sqlite');
    const old = openDatabase(file, { migrations: MIGRATIONS.filter((m) => m.version <= 2) });
    insertVersion2Channel(old, channelRecord('kept'));
    old.close();
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(new ChannelRepo(db).get('kept')?.name).toBe('Channel kept');
    expect(
      db
        .prepare(
          "SELECT count(*) AS n FROM sqlite_master WHERE name IN ('conversations','messages','attachments','agents','settings','sync_cursors','routing_state','messages_fts')",
        )
        .get(),
    ).toEqual({ n: 8 });
    db.close();
  });

  it("keeps a deleted channel's conversations and messages", async () => {
    const dir = tempDir('auxilium-del-');
    const h = openHarness(dir.path);
    cleanups.push(dir.remove, () => h.close());
    const { created } = await h.ingestor.ingest(h.position, [fetched(mail())], {});
    h.channels.delete('ch1');
    expect(h.store.conversation(created[0]!)?.messageCount).toBe(1);
    expect(h.store.messages(created[0]!)).toHaveLength(1);
  });
});

describe('mergeConversations', () => {
  it('moves messages, search rows and the draft to the conversation that started first, and keeps its identity', async () => {
    const dir = tempDir('auxilium-merge-');
    const h = openHarness(dir.path);
    cleanups.push(dir.remove, () => h.close());
    const at = (source: Buffer, minute: number) => ({ ...fetched(source), internalDate: new Date(Date.UTC(2026, 10, 24, 10, minute)) });
    const later = (await h.ingestor.ingest(h.position, [at(mail({ body: 'zebra crossing', subject: 'Re: Printer' }), 5)], {})).created[0]!;
    const earlier = (await h.ingestor.ingest(h.position, [at(mail({ body: 'aardvark question', subject: 'Printer' }), 1)], {})).created[0]!;
    h.store.setStatus(earlier, 'closed');
    h.store.markRead(earlier);
    h.db.prepare("INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, 'half a reply', '2026-11-24T10:06:00Z')").run(later);
    const token = h.store.conversation(earlier)!.token;

    const result = h.store.transaction(() => h.store.mergeConversations(later, earlier));

    expect(result).toEqual({ kept: earlier, removed: later });
    expect(h.store.conversation(later)).toBeUndefined();
    expect(h.store.conversation(earlier)).toMatchObject({
      token,
      subject: 'Printer',
      messageCount: 2,
      lastMessageAt: '2026-11-24T10:05:00.000Z',
      snippet: 'zebra crossing',
      unread: true,
      status: 'open',
    });
    expect(h.store.messages(earlier).map((m) => m.text.trim())).toEqual(['aardvark question', 'zebra crossing']);
    // Search rows now name the kept conversation: both words find it, and nothing finds the removed one.
    for (const word of ['zebra', 'aardvark']) {
      expect(h.store.list({ view: 'all', meAgentId: null, limit: 10, query: word }).items.map((c) => c.id)).toEqual([earlier]);
    }
    expect(h.db.prepare('SELECT text FROM drafts WHERE conversation_id = ?').get(earlier)).toEqual({ text: 'half a reply' });
    // A message added afterwards takes a fresh search slot of the kept conversation.
    await h.ingestor.ingest(h.position, [at(mail({ body: 'yak follow-up', subject: `Re: Printer [#${token}]` }), 9)], {});
    expect(h.store.list({ view: 'all', meAgentId: null, limit: 10, query: 'yak' }).items.map((c) => c.id)).toEqual([earlier]);
  });
});
