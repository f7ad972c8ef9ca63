import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultChannelForm } from '../../../shared/channel';
import { insertVersion2Channel } from '../../../test/support/mail-harness';
import { ChannelRepo, settingsWithoutPasswords, type ChannelRecord } from './channel-repo';
import { migrate, openDatabase } from './database';
import { MIGRATIONS } from './migrations';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auxilium-store-'));
  dirs.push(dir);
  return join(dir, 'auxilium.sqlite');
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function record(id: string): ChannelRecord {
  const form = defaultChannelForm();
  form.name = `Channel ${id}`;
  form.imap = { ...form.imap, host: 'imap.example.com', username: 'u', password: 'imap-secret' };
  form.smtp = { ...form.smtp, host: 'smtp.example.com', username: 'u', password: 'smtp-secret', fromAddress: 'a@example.com' };
  return {
    id,
    name: form.name,
    type: 'email',
    enabled: true,
    supportAddress: 'a@example.com',
    ...settingsWithoutPasswords(form),
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('database', () => {
  it('opens in WAL mode at the newest schema version', () => {
    const db = openDatabase(tempFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });

  it('applies only the migrations a database has not seen, and keeps data across them', () => {
    const file = tempFile();
    const db = openDatabase(file, { migrations: MIGRATIONS.slice(0, 2) });
    insertVersion2Channel(db, record('a'));
    const next = [...MIGRATIONS, { version: 99, description: 'test column', sql: 'ALTER TABLE channels ADD COLUMN extra TEXT' }];
    migrate(db, next);
    migrate(db, next); // a second run is a no-op, not a duplicate-column error
    expect(db.pragma('user_version', { simple: true })).toBe(99);
    expect(new ChannelRepo(db).get('a')?.name).toBe('Channel a');
    db.close();
  });

  it('rolls a failing migration back whole', () => {
    const db = openDatabase(tempFile());
    const broken = [...MIGRATIONS, { version: 50, description: 'broken', sql: 'CREATE TABLE t (x); SELECT * FROM missing_table;' }];
    expect(() => migrate(db, broken)).toThrow(/missing_table/);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a database from a newer version instead of corrupting it', () => {
    const file = tempFile();
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer version of Auxilium Desktop/);
  });
});

describe('channel repo', () => {
  it('saves, lists, updates and deletes channels, surviving a reopen', () => {
    const file = tempFile();
    let db = openDatabase(file);
    const repo = new ChannelRepo(db);
    repo.save(record('a'));
    repo.save(record('b'));
    repo.save({ ...record('a'), name: 'Renamed', enabled: false, updatedAt: '2026-02-01T00:00:00.000Z' });
    db.close();

    db = openDatabase(file);
    const reopened = new ChannelRepo(db);
    expect(reopened.list().map((c) => [c.id, c.name, c.enabled])).toEqual([
      ['a', 'Renamed', false],
      ['b', 'Channel b', true],
    ]);
    expect(reopened.get('a')?.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(reopened.delete('a')).toBe(true);
    expect(reopened.delete('a')).toBe(false);
    expect(reopened.get('a')).toBeUndefined();
    db.close();
  });

  it('never writes a password into SQLite, even when a record carries one', () => {
    const file = tempFile();
    const db = openDatabase(file);
    const leaky = { ...record('a'), imap: { ...record('a').imap, password: 'imap-secret' } } as ChannelRecord;
    new ChannelRepo(db).save(leaky);
    const raw = JSON.stringify(db.prepare('SELECT * FROM channels').all());
    expect(raw).not.toContain('imap-secret');
    expect(raw).not.toContain('password');
    db.close();
  });
});
