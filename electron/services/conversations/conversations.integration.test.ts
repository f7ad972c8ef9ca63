import { afterEach, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../shared/contract';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fetched, mail } from '../../../test/support/mail-harness';
import { CUSTOMER_PAGE } from '../store/mail-store';
import { call } from '../../../test/support/core';

// The inbox through the same router the renderer uses, with mail handed to the core's ingestor the
// way the mailbox watcher does, a real SQLite file and the real OS keychain.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(path?: string): { core: Core; dir: string } {
  const dir = path ? { path, remove: () => undefined } : tempDir();
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  cleanups.push(dir.remove, () => core.stop());
  return { core, dir: dir.path };
}

describe('conversations through the router', () => {
  it('lists ingested mail, opens it, assigns and closes it, and keeps that across a restart', async () => {
    const { core, dir } = setup();
    const changes: EventPayload<'conversations:changed'>[] = [];
    core.events.on('conversations:changed', (payload) => changes.push(payload));
    const position = { channelId: 'ch-test', mailbox: 'INBOX', uidValidity: '7' };
    core.ingestor.resetCursor({ ...position, lastUid: 0, backfillBelowUid: null, backfillSince: null });
    await core.ingestor.ingest(position, [{ uid: 1, size: 0, source: mail({ subject: 'Where is my parcel?' }) }], { advanceTo: 1 });
    expect(changes).toHaveLength(1);

    const page = await call(core, 'conversations:list', { view: 'unassigned', query: 'parc' });
    expect(page.total).toBe(1);
    const id = page.items[0]!.id;
    expect(page.items[0]!.unread).toBe(true);
    expect(await call(core, 'conversations:count', {})).toEqual({
      mine: 0,
      unassigned: 1,
      all: 1,
      unread: { mine: 0, unassigned: 1, all: 1 },
      failed: 0,
      spam: 0,
      deleted: 0,
    });

    const me = await call(core, 'agents:save', { name: 'Ann', email: 'ann@acme.test' });
    await call(core, 'settings:set-me', { agentId: me.id });
    await call(core, 'conversations:assign', { id, agentId: me.id });
    await call(core, 'conversations:set-status', { id, status: 'closed' });
    const note = await call(core, 'conversations:add-note', { id, text: 'Sent a new parcel' });
    expect(note.direction).toBe('note');
    const unknown = await core.router.handle('conversations:assign', { id, agentId: 999 });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    expect((await call(core, 'conversations:get', { id })).conversation.unread).toBe(true);
    await call(core, 'conversations:mark-read', { id });
    const detail = await call(core, 'conversations:get', { id });
    expect(detail.conversation.unread).toBe(false);
    const raw = await call(core, 'messages:get-raw', { id: detail.messages[0]!.id });
    expect(raw.raw).toContain('Subject: Where is my parcel?');

    await core.stop();
    const again = setup(dir).core;
    const after = await call(again, 'conversations:get', { id });
    expect(after.conversation).toMatchObject({ status: 'closed', assigneeId: me.id });
    expect(await call(again, 'settings:get', {})).toEqual({ meAgentId: me.id });
    expect((await call(again, 'conversations:list', { view: 'mine', status: 'closed' })).items).toHaveLength(1);
  });

  it("lists a customer's other conversations newest first, matching the address in any case, from an index", async () => {
    const { core, dir } = setup();
    const position = { channelId: 'ch-test', mailbox: 'INBOX', uidValidity: '7' };
    core.ingestor.resetCursor({ ...position, lastUid: 0, backfillBelowUid: null, backfillSince: null });
    const carol = 'Carol Customer <carol@example.com>';
    const batch = [
      fetched(mail({ from: carol, subject: 'First order', date: 'Mon, 23 Nov 2026 09:00:00 +0000' }), 1),
      fetched(mail({ from: 'Dave <dave@example.com>', subject: 'Not Carol', date: 'Mon, 23 Nov 2026 10:00:00 +0000' }), 2),
      fetched(mail({ from: 'CAROL <Carol@EXAMPLE.com>', subject: 'Second order', date: 'Tue, 24 Nov 2026 09:00:00 +0000' }), 3),
      fetched(mail({ from: carol, subject: 'Refund please', date: 'Wed, 25 Nov 2026 09:00:00 +0000' }), 4),
    ];
    await core.ingestor.ingest(position, batch, { advanceTo: 4 });
    const all = (await call(core, 'conversations:list', { view: 'all', status: 'open' })).items;
    const reading = all.find((c) => c.subject === 'Refund please')!;

    const others = await call(core, 'conversations:list-by-customer', { address: reading.customer.address, excludeId: reading.id });
    expect(others.items.map((c) => c.subject)).toEqual(['Second order', 'First order']);
    expect(others.total).toBe(2);
    const everything = await call(core, 'conversations:list-by-customer', { address: 'carol@example.com', limit: 1 });
    expect(everything.items.map((c) => c.subject)).toEqual(['Refund please']);
    expect(everything.total).toBe(3);
    expect((await core.router.handle('conversations:list-by-customer', { address: '  ' })).ok).toBe(false);

    // The query walks the customer index in order: no scan of the table, no sort of the rows.
    const db = new Database(join(dir, 'auxilium.sqlite'), { readonly: true });
    cleanups.push(() => {
      db.close();
    });
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT c.* ${CUSTOMER_PAGE}`).all({ address: 'carol@example.com', excludeId: reading.id, limit: 20 }) as {
      detail: string;
    }[];
    const details = plan.map((row) => row.detail).join('\n');
    expect(details).toContain('USING INDEX conversations_customer');
    expect(details).not.toContain('TEMP B-TREE');
  });
});
