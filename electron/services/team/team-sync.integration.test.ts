import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { ConversationSummary } from '../../../shared/conversation';
import { createCore, type Core } from '../../core/create-core';
import { deliver, restartDovecot, withImapSession } from '../../../test/mailstack/mailstack';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { EVENT_HEADER } from './team-message';

// Several desktops (cores with data folders of their own) on one real Dovecot mailbox share notes,
// statuses, assignments and the roster through a team folder, and end up showing the same.

const stack = inject('mailstack');
const user = stack.users.other;
const addCleanup = cleanupsAfterAll();

interface Desktop {
  core: Core;
  dir: string;
  keychainService: string;
  channelId: string;
}

const FAST = { pollMs: 1_000, backoff: { baseMs: 100, capMs: 1_000, minMs: 50 } };

async function openCore(dir: string, keychainService: string, team: object = {}): Promise<Core> {
  const core = createCore({ dataDir: dir, version: '0.0.0-test', keychainService, team: { ...FAST, ...team } });
  await core.start();
  return core;
}

/**
 * A desktop on the shared mailbox. It imports the last 14 days: with "import all" a desktop that
 * joins later would file that backlog as closed on its own (a choice of this desktop, not shared),
 * and its statuses would differ from the others' for conversations nobody has set a status on.
 */
async function desktop(folder: string, team: object = {}): Promise<Desktop> {
  const dir = tempDir('auxilium-team-');
  const keychainService = testKeychainService();
  const core = await openCore(dir.path, keychainService, team);
  const channel = await call(core, 'channels:create', channelFor(stack, user, { teamFolder: folder, initialImport: '14-days', pollIntervalSeconds: 10 }));
  const d: Desktop = { core, dir: dir.path, keychainService, channelId: channel.id };
  addCleanup(dir.remove);
  addCleanup(() => d.core.stop());
  return d;
}

/** Reopens a desktop's data folder, as after a restart or a crash. */
async function reopen(d: Desktop, team: object = {}): Promise<void> {
  d.core = await openCore(d.dir, d.keychainService, team);
}

async function conversationsOf(d: Desktop, tag: string): Promise<ConversationSummary[]> {
  const page = await call(d.core, 'conversations:list', { view: 'all', limit: 500, channelId: d.channelId, query: tag });
  return page.items.filter((c) => c.subject.includes(tag));
}

/** What an agent would compare between two screens: per conversation status, assignee, notes; the roster. */
async function view(d: Desktop, tag: string): Promise<string> {
  const agents = await call(d.core, 'agents:list', {});
  const email = (id: number | null) => (id === null ? null : (agents.find((a) => a.id === id)?.email ?? `#${id}`));
  const rows = [];
  for (const c of await conversationsOf(d, tag)) {
    const detail = await call(d.core, 'conversations:get', { id: c.id });
    const notes = detail.messages
      .filter((m) => m.direction === 'note')
      .map((m) => m.text)
      .sort();
    rows.push({ subject: c.subject, status: c.status, assignee: email(c.assigneeId), notes });
  }
  rows.sort((a, b) => a.subject.localeCompare(b.subject));
  return JSON.stringify({ rows, agents: agents.map((a) => `${a.name} <${a.email.toLowerCase()}>`).sort() });
}

async function settled(d: Desktop): Promise<boolean> {
  const [channel] = (await call(d.core, 'channels:list', {})).filter((c) => c.id === d.channelId);
  return channel?.team?.state === 'connected' && channel.team.waiting === 0;
}

/** Waits until every desktop is connected with nothing waiting and all show the same. */
async function converged(desktops: Desktop[], tag: string, timeoutMs = 60_000): Promise<string> {
  let last: string[] = [];
  try {
    return await waitFor(
      'the desktops to show the same team state',
      async () => {
        for (const d of desktops) if (!(await settled(d))) return undefined;
        last = await Promise.all(desktops.map((d) => view(d, tag)));
        return last.every((v) => v === last[0]) ? last[0] : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${last.join('\n')}`, { cause: error });
  }
}

async function mail(tag: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    await deliver(stack, {
      from: stack.users.customer.address,
      to: user.address,
      subject: `${tag} question ${i}`,
      text: `Question ${i} ${tag}`,
      headers: { 'Message-ID': `<q${i}.${tag}@customer.test>` },
    });
  }
}

async function imported(d: Desktop, tag: string, n: number): Promise<ConversationSummary[]> {
  return waitFor(`${n} conversations on a desktop`, async () => {
    const list = await conversationsOf(d, tag);
    return list.length >= n ? list.sort((a, b) => a.subject.localeCompare(b.subject)) : undefined;
  });
}

async function agentId(d: Desktop, email: string): Promise<number> {
  return waitFor(`agent ${email}`, async () => (await call(d.core, 'agents:list', {})).find((a) => a.email.toLowerCase() === email)?.id);
}

/** A tiny seeded generator, so a failing run can be repeated exactly. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('team state through the mailbox', () => {
  it('notes, statuses, assignments and agents made on one desktop show on the others; a desktop joining later gets the same', async () => {
    const tag = marker();
    const folder = `Team ${tag}`;
    const [a, b, c] = [await desktop(folder), await desktop(folder), await desktop(folder)];
    await mail(tag, 3);
    const onA = await imported(a, tag, 3);
    const onB = await imported(b, tag, 3);
    const onC = await imported(c, tag, 3);

    await call(a.core, 'agents:save', { name: 'Alice', email: `alice-${tag}@example.com` });
    await call(a.core, 'agents:save', { name: 'Bob', email: `bob-${tag}@example.com` });
    const bobOnB = await agentId(b, `bob-${tag}@example.com`);

    await call(a.core, 'conversations:set-status', { id: onA[0]!.id, status: 'closed' });
    await call(a.core, 'conversations:add-note', { id: onA[1]!.id, text: `Note from A ${tag}` });
    await call(b.core, 'conversations:assign', { id: onB[0]!.id, agentId: bobOnB });
    await call(c.core, 'conversations:set-status', { id: onC[2]!.id, status: 'pending' });

    const state = await converged([a, b, c], tag);
    const rows = JSON.parse(state).rows as { status: string; assignee: string | null; notes: string[] }[];
    expect(rows.map((r) => r.status)).toEqual(['closed', 'open', 'pending']);
    expect(rows[0]!.assignee).toBe(`bob-${tag}@example.com`);
    expect(rows[1]!.notes).toEqual([`Note from A ${tag}`]);
    expect(JSON.parse(state).agents).toEqual([`Alice <alice-${tag}@example.com>`, `Bob <bob-${tag}@example.com>`]);

    // A desktop joining now gets the same from the folder alone.
    const d = await desktop(folder);
    await imported(d, tag, 3);
    expect(await converged([a, b, c, d], tag)).toBe(state);

    // A customer writing again after the close reopens it on every desktop.
    await deliver(stack, {
      from: stack.users.customer.address,
      to: user.address,
      subject: `Re: ${tag} question 0`,
      text: 'Still broken',
      headers: { 'In-Reply-To': `<q0.${tag}@customer.test>` },
    });
    for (const x of [a, b, c, d]) {
      await waitFor('the customer reply on every desktop', async () => {
        const first = (await conversationsOf(x, tag)).find((c) => c.subject.endsWith('question 0'));
        const detail = first && (await call(x.core, 'conversations:get', { id: first.id }));
        return detail && detail.messages.filter((m) => m.direction === 'inbound').length === 2 ? true : undefined;
      });
    }
    const reopened = await converged([a, b, c, d], tag);
    expect(JSON.parse(reopened).rows[0].status).toBe('open');
  }, 180_000);

  it('seeded random changes with offline periods, dropped connections and snapshots converge; a late joiner agrees', async () => {
    const tag = marker();
    const folder = `Team ${tag}`;
    const team = { snapshotEvery: 15 };
    const desktops = [await desktop(folder, team), await desktop(folder, team), await desktop(folder, team)];
    await mail(tag, 4);
    for (const d of desktops) await imported(d, tag, 4);
    await call(desktops[0]!.core, 'agents:save', { name: 'Carol', email: `carol-${tag}@example.com` });
    await call(desktops[1]!.core, 'agents:save', { name: 'Dan', email: `dan-${tag}@example.com` });
    for (const d of desktops) {
      await agentId(d, `carol-${tag}@example.com`);
      await agentId(d, `dan-${tag}@example.com`);
    }

    const rnd = random(20261203);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    for (let step = 0; step < 60; step += 1) {
      const d = pick(desktops);
      const conversation = pick(await conversationsOf(d, tag));
      const roll = rnd();
      if (roll < 0.3) await call(d.core, 'conversations:set-status', { id: conversation.id, status: pick(['open', 'pending', 'closed'] as const) });
      else if (roll < 0.55) {
        const agents = await call(d.core, 'agents:list', {});
        await call(d.core, 'conversations:assign', { id: conversation.id, agentId: rnd() < 0.2 ? null : pick(agents).id });
      } else if (roll < 0.8) await call(d.core, 'conversations:add-note', { id: conversation.id, text: `note ${step} ${tag}` });
      else if (roll < 0.9) {
        // Offline for a while: the channel stops, changes made meanwhile wait and go once it is back.
        await call(d.core, 'channels:set-enabled', { id: d.channelId, enabled: false });
        const list = await conversationsOf(d, tag);
        await call(d.core, 'conversations:add-note', { id: pick(list).id, text: `offline note ${step} ${tag}` });
        await call(d.core, 'conversations:set-status', { id: pick(list).id, status: 'closed' });
        await call(d.core, 'channels:set-enabled', { id: d.channelId, enabled: true });
      } else if (step % 3 === 0) {
        await restartDovecot(stack, { downMs: 300 });
      }
    }
    const state = await converged(desktops, tag, 120_000);
    const notes = (JSON.parse(state).rows as { notes: string[] }[]).flatMap((r) => r.notes);
    expect(notes.length).toBeGreaterThan(10);
    expect(new Set(notes).size).toBe(notes.length);

    // Snapshots kept the folder short: far fewer messages than changes made.
    const count = await withImapSession(stack, user, async (client) => {
      const status = await client.status(folder, { messages: true });
      return status ? (status.messages ?? 0) : 0;
    });
    expect(count).toBeLessThan(60);

    const late = await desktop(folder, team);
    await imported(late, tag, 4);
    expect(await converged([...desktops, late], tag, 120_000)).toBe(state);
  }, 300_000);

  it('a desktop killed mid-append loses nothing and appends nothing twice', async () => {
    const tag = marker();
    const folder = `Team ${tag}`;
    const a = await desktop(folder);
    const b = await desktop(folder);
    await mail(tag, 1);
    const [conversation] = await imported(a, tag, 1);
    await imported(b, tag, 1);
    await a.core.stop();

    // The child opens A's data folder, closes the conversation and dies right after the server took it.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../../test/support/team-core-child.ts')], {
      env: { ...process.env, AUX_CHILD_DATA_DIR: a.dir, AUX_CHILD_KEYCHAIN: a.keychainService, AUX_CHILD_CONVERSATION: String(conversation!.id) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    expect(signal, output).toBe('SIGKILL');
    const eventId = /appended (\S+)/.exec(output)?.[1];
    expect(eventId, output).toBeDefined();

    await reopen(a);
    const state = await converged([a, b], tag);
    expect(JSON.parse(state).rows[0].status).toBe('closed');
    const copies = await withImapSession(stack, user, async (client) => {
      await client.mailboxOpen(folder, { readOnly: true });
      return client.search({ header: { [EVENT_HEADER]: eventId! } }, { uid: true });
    });
    expect(copies).toHaveLength(1);
  }, 120_000);

  it('a deleted team folder and a renumbered one are recreated and re-seeded with nothing lost', async () => {
    const tag = marker();
    const folder = `Team ${tag}`;
    const a = await desktop(folder);
    const b = await desktop(folder);
    await mail(tag, 2);
    const onA = await imported(a, tag, 2);
    await imported(b, tag, 2);
    await call(a.core, 'conversations:set-status', { id: onA[0]!.id, status: 'closed' });
    await call(a.core, 'conversations:add-note', { id: onA[1]!.id, text: `kept ${tag}` });
    const before = await converged([a, b], tag);

    // B is offline when the admin deletes the folder, and makes a change meanwhile.
    await call(b.core, 'channels:set-enabled', { id: b.channelId, enabled: false });
    const onB = await conversationsOf(b, tag);
    await call(b.core, 'conversations:add-note', { id: onB.find((c) => c.subject.endsWith('question 0'))!.id, text: `offline ${tag}` });
    await withImapSession(stack, user, (client) => client.mailboxDelete(folder));
    await call(b.core, 'channels:set-enabled', { id: b.channelId, enabled: true });
    const afterDelete = JSON.parse(await converged([a, b], tag));
    expect(afterDelete.rows[0].status).toBe('closed');
    expect(afterDelete.rows[0].notes).toEqual([`offline ${tag}`]);
    expect(afterDelete.rows[1].notes).toEqual([`kept ${tag}`]);
    expect(afterDelete.agents).toEqual(JSON.parse(before).agents);

    // Renumbered: the folder is replaced by an empty one of the same name (a new UIDVALIDITY).
    await withImapSession(stack, user, async (client) => {
      await client.mailboxRename(folder, `${folder} old`);
      await client.mailboxCreate(folder);
    });
    const afterRenumber = await converged([a, b], tag);
    expect(JSON.parse(afterRenumber).rows).toEqual(afterDelete.rows);

    const late = await desktop(folder);
    await imported(late, tag, 2);
    expect(await converged([a, b, late], tag)).toBe(afterRenumber);
  }, 180_000);

  it('deleting, spam, "Not spam", restoring and saved replies made on one desktop show on the others; a desktop joining later gets the saved replies', async () => {
    const tag = marker();
    const folder = `Team ${tag}`;
    const [a, b] = [await desktop(folder), await desktop(folder)];
    await mail(tag, 3);
    const onA = await imported(a, tag, 3);
    const onB = await imported(b, tag, 3);
    const inView = async (d: Desktop, view: 'all' | 'deleted' | 'spam') =>
      (await call(d.core, 'conversations:list', { view, limit: 500, channelId: d.channelId, query: tag })).items.map((c) => c.subject).sort();
    const bothShow = (view: 'all' | 'deleted' | 'spam', subjects: string[]) =>
      Promise.all(
        [a, b].map((d) =>
          waitFor(`${view} to show ${subjects.join(', ')}`, async () =>
            JSON.stringify(await inView(d, view)) === JSON.stringify(subjects) ? true : undefined,
          ),
        ),
      );
    const subject = (i: number) => `${tag} question ${i}`;

    await call(a.core, 'conversations:update-many', { ids: [onA[0]!.id], patch: { bin: 'deleted' } });
    await call(b.core, 'conversations:update-many', { ids: [onB[1]!.id], patch: { bin: 'spam' } });
    await bothShow('deleted', [subject(0)]);
    await bothShow('spam', [subject(1)]);
    await bothShow('all', [subject(2)]);

    // The customer is remembered as a spam sender on both desktops: their next conversation starts in Spam.
    await deliver(stack, {
      from: stack.users.customer.address,
      to: user.address,
      subject: `${tag} question 3`,
      text: 'More',
      headers: { 'Message-ID': `<q3.${tag}@customer.test>` },
    });
    await bothShow('spam', [subject(1), subject(3)]);

    // "Not spam" on B brings it back on A and forgets the sender on both.
    const spamOnB = (await call(b.core, 'conversations:list', { view: 'spam', limit: 500, channelId: b.channelId, query: tag })).items.map((c) => c.id);
    await call(b.core, 'conversations:update-many', { ids: spamOnB, patch: { bin: null } });
    await bothShow('spam', []);
    await deliver(stack, {
      from: stack.users.customer.address,
      to: user.address,
      subject: `${tag} question 4`,
      text: 'Hello',
      headers: { 'Message-ID': `<q4.${tag}@customer.test>` },
    });
    await bothShow('all', [subject(1), subject(2), subject(3), subject(4)]);

    // Restored on B: back on A too.
    const deletedOnB = (await call(b.core, 'conversations:list', { view: 'deleted', limit: 500, channelId: b.channelId, query: tag })).items.map((c) => c.id);
    await call(b.core, 'conversations:update-many', { ids: deletedOnB, patch: { bin: null } });
    await bothShow('deleted', []);
    await bothShow('all', [0, 1, 2, 3, 4].map(subject));

    // Saved replies: added on A, changed on B, another added and removed; both end up with the same.
    const refund = await call(a.core, 'saved-replies:save', { name: `Refund ${tag}`, body: 'We refunded you.' });
    const onBRefund = await waitFor('the saved reply on B', async () => (await call(b.core, 'saved-replies:list', {})).find((r) => r.name === `Refund ${tag}`));
    expect(onBRefund.body).toBe('We refunded you.');
    await call(b.core, 'saved-replies:save', { id: onBRefund.id, name: `Refund ${tag}`, body: 'We have refunded you in full.' });
    const greeting = await call(a.core, 'saved-replies:save', { name: `Greeting ${tag}`, body: 'Hello!' });
    await call(a.core, 'saved-replies:delete', { id: greeting.id });
    const replies = async (d: Desktop) => (await call(d.core, 'saved-replies:list', {})).filter((r) => r.name.includes(tag)).map((r) => `${r.name}: ${r.body}`);
    const expected = [`Refund ${tag}: We have refunded you in full.`];
    for (const d of [a, b])
      await waitFor('the saved replies to agree', async () => (JSON.stringify(await replies(d)) === JSON.stringify(expected) ? true : undefined));
    expect((await call(a.core, 'saved-replies:list', {})).find((r) => r.name === `Refund ${tag}`)?.id).toBe(refund.id);

    const late = await desktop(folder);
    await waitFor('the saved replies on a desktop joining later', async () =>
      JSON.stringify(await replies(late)) === JSON.stringify(expected) ? true : undefined,
    );
  }, 180_000);
});
