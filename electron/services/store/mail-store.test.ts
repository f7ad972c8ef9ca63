import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp';
import { channelRecord, fetched, insertVersion2Channel, mail, openHarness } from '../ingest/testing';
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
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('conversations','messages','attachments','agents','settings','sync_cursors','routing_state','messages_fts')").get()).toEqual({ n: 8 });
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
