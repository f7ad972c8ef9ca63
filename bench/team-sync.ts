import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ImapFlow } from 'imapflow';
import type { ConversationStatus } from '../shared/conversation';
import type { TeamEvent } from '../shared/team-events';
import type { Core } from '../electron/core/create-core';
import { appendMessage } from '../electron/services/imap/append';
import { composeTeamMessage, TEAM_FETCH } from '../electron/services/team/team-message';
import { deliver, imapClient } from '../test/mailstack/mailstack';
import { percentile, type Benchmark, type Figure } from './harness';
import { call, channelFor, nextEvent, startCore, waitUntil } from './support';

/**
 * Team sync. (1) A change on desktop A until desktop B shows it, beside a bare imapflow APPEND on
 * one client until a second client idling on the folder hears of it (EXISTS), alternating one of
 * each. (2) A desktop joining a mailbox whose team folder holds 10,000 events until it is up to
 * date, beside bare imapflow fetching the same messages.
 */
export const teamSyncBenchmark: Benchmark = {
  name: 'team-sync',
  async run(ctx) {
    return [...(await eventLatency(ctx)), await joining(ctx)];
  },
};

type Ctx = Parameters<Benchmark['run']>[0];

async function connected(core: Core, channelId: string): Promise<void> {
  await waitUntil(
    () => core.channels.get(channelId).team?.state === 'connected' && core.channels.get(channelId).team?.waiting === 0,
    120_000,
    'team sync to be up to date',
  );
}

async function desktop(ctx: Ctx, folder: string): Promise<{ core: Core; channelId: string }> {
  const core = startCore(ctx.tempDir());
  await core.start();
  const channel = await call(core, 'channels:create', channelFor(ctx.stack, ctx.stack.users.other, { teamFolder: folder, initialImport: 'all' }));
  return { core, channelId: channel.id };
}

async function conversationOn(core: Core, subject: string): Promise<number> {
  let id = 0;
  await waitUntil(
    async () => {
      id = (await call(core, 'conversations:list', { view: 'all', query: subject, limit: 1 })).items[0]?.id ?? 0;
      return id > 0;
    },
    60_000,
    'the customer mail',
  );
  return id;
}

async function eventLatency(ctx: Ctx): Promise<Figure[]> {
  const count = ctx.quick ? 15 : 50;
  const { stack } = ctx;
  const folder = `Bench team ${Date.now()}`;
  const a = await desktop(ctx, folder);
  const b = await desktop(ctx, folder);
  const subject = `Team bench ${Date.now()}`;
  await deliver(stack, { from: stack.users.customer.address, to: stack.users.other.address, subject, text: 'A question for the team.' });
  const onA = await conversationOn(a.core, subject);
  const onB = await conversationOn(b.core, subject);
  await connected(a.core, a.channelId);
  await connected(b.core, b.channelId);
  console.error('  two desktops connected; measuring changes');

  const bareFolder = `Bench bare ${Date.now()}`;
  const writer = imapClient(stack, stack.users.other);
  const watcher = imapClient(stack, stack.users.other);
  await writer.connect();
  await watcher.connect();
  await writer.mailboxCreate(bareFolder);
  await watcher.mailboxOpen(bareFolder);
  const event = await composeTeamMessage(
    { v: 1, id: randomUUID(), at: new Date().toISOString(), by: '', type: 'status.changed', conversation: 'id:bench@example.com', status: 'closed' },
    stack.users.other.address,
  );

  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const status: ConversationStatus = i % 2 === 0 ? 'pending' : 'open';
      const seen = nextEvent(b.core, 'conversations:changed', (p) => p.ids.includes(onB));
      const start = performance.now();
      await call(a.core, 'conversations:set-status', { id: onA, status });
      for (;;) {
        await seen;
        const shown = (await call(b.core, 'conversations:list', { view: 'all', query: subject, limit: 1 })).items[0]?.status;
        if (shown === status) break;
        await nextEvent(b.core, 'conversations:changed', (p) => p.ids.includes(onB));
      }
      ours.push(performance.now() - start);
      await connected(a.core, a.channelId);

      baseline.push(await bareAppendToExists(writer, watcher, bareFolder, event));
    }
  } finally {
    await writer.logout().catch(() => writer.close());
    await watcher.logout().catch(() => watcher.close());
    await a.core.stop();
    await b.core.stop();
  }
  const p95 = percentile(ours, 95);
  const bareP95 = percentile(baseline, 95);
  return [
    {
      metric: `p95 change on A to shown on B (${count} changes)`,
      unit: 'ms',
      ours: p95,
      baseline: bareP95,
      goal: '<= bare + 250 ms',
      met: p95 <= bareP95 + 250,
    },
    { metric: 'median change on A to shown on B', unit: 'ms', ours: percentile(ours, 50), baseline: percentile(baseline, 50) },
  ];
}

async function bareAppendToExists(writer: ImapFlow, watcher: ImapFlow, folder: string, raw: Buffer): Promise<number> {
  const heard = new Promise<number>((resolve) => watcher.once('exists', () => resolve(performance.now())));
  watcher.idle().catch(() => undefined);
  const start = performance.now();
  await appendMessage(writer, folder, raw);
  return (await heard) - start;
}

/** A folder with `count` events: statuses, assignments and notes over many conversations, and a roster. */
async function seedFolder(client: ImapFlow, folder: string, address: string, count: number): Promise<void> {
  await client.mailboxCreate(folder);
  const agents = Array.from({ length: 10 }, (_, i) => `agent${i}@example.com`);
  for (let i = 0; i < count; i++) {
    const base = { v: 1 as const, id: randomUUID(), at: new Date().toISOString(), by: agents[i % agents.length]! };
    const conversation = `id:c${i % 1000}@bench.example`;
    let event: TeamEvent;
    if (i < agents.length) event = { ...base, type: 'agent.saved', email: agents[i]!, name: `Agent ${i}` };
    else if (i % 3 === 0) event = { ...base, type: 'status.changed', conversation, status: (['open', 'pending', 'closed'] as const)[i % 3]! };
    else if (i % 3 === 1) event = { ...base, type: 'assignee.changed', conversation, assignee: agents[i % agents.length]! };
    else event = { ...base, type: 'note.added', conversation, authorName: 'Agent', text: `Note number ${i} about this conversation.` };
    await appendMessage(client, folder, await composeTeamMessage(event, address));
  }
}

async function joining(ctx: Ctx): Promise<Figure> {
  const count = ctx.quick ? 2_000 : 10_000;
  const { stack } = ctx;
  const folder = `Bench join ${Date.now()}`;
  const client = imapClient(stack, stack.users.other);
  await client.connect();
  let bare: number;
  try {
    console.error(`  seeding a team folder with ${count} events`);
    await seedFolder(client, folder, stack.users.other.address, count);
    // The baseline reads what the desktop reads: every message's headers, then its JSON part.
    const bareStart = performance.now();
    await client.mailboxOpen(folder, { readOnly: true });
    let fetched = 0;
    for await (const message of client.fetch('1:*', { uid: true, headers: ['x-auxilium-snapshot'] }, { uid: true })) fetched += message.uid > 0 ? 1 : 0;
    for await (const message of client.fetch('1:*', { ...TEAM_FETCH, bodyParts: [...TEAM_FETCH.bodyParts] }, { uid: true }))
      fetched += message.bodyParts ? 1 : 0;
    bare = performance.now() - bareStart;
    if (fetched !== 2 * count) throw new Error(`the bare fetch read ${fetched / 2} of ${count} messages`);
  } finally {
    await client.logout().catch(() => client.close());
  }

  const start = performance.now();
  const joiner = await desktop(ctx, folder);
  try {
    await waitUntil(
      () => {
        const team = joiner.core.channels.get(joiner.channelId).team;
        return team?.state === 'connected' && team.behind === 0;
      },
      600_000,
      'the joining desktop to catch up',
    );
    return { metric: `join a folder of ${count.toLocaleString('en')} events until up to date`, unit: 'ms', ours: performance.now() - start, baseline: bare };
  } finally {
    await joiner.core.stop();
  }
}
