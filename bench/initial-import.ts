import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import MailComposer from 'nodemailer/lib/mail-composer';
import { join } from 'node:path';
import { MailParserPool, parserWorkerCount } from '../electron/services/ingest/parse';
import { imapClient, type MailStackInfo, type MailUser } from '../test/mailstack/mailstack';
import type { Benchmark } from './harness';
import { call, channelFor, startCore, waitUntil } from './support';

/**
 * Initial import of a full mailbox ("import all"): until every message is a searchable
 * conversation, against a bare imapflow loop that fetches the same messages and discards them.
 * Peak memory of this process is sampled during both.
 */

function makeMessage(i: number, from: MailUser, to: MailUser): Promise<Buffer> {
  const withAttachment = i % 10 === 0;
  const medium = i % 5 === 1;
  const text = `Hello, this is request number ${i} with marker m${i}z. `.repeat(medium ? 400 : 40);
  const composer = new MailComposer({
    from: `Customer ${i} <${from.address}>`,
    to: to.address,
    subject: `Import ${i}: question about order ${i * 7}`,
    messageId: `<import-${i}@bench.auxilium.test>`,
    date: new Date(Date.UTC(2026, 10, 1) + i * 1000),
    text,
    html: medium ? `<p>${text}</p>` : undefined,
    attachments: withAttachment ? [{ filename: `file-${i}.bin`, content: randomBytes(50_000 + (i % 7) * 25_000) }] : [],
  });
  return composer.compile().build();
}

/** CPU seconds of every thread of this process since `start` (Dovecot's own share is not included). */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

class PeakMemory {
  private readonly start = process.memoryUsage().rss;
  private peak = this.start;
  private readonly timer = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage().rss)), 25);
  stop(): number {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
    return (this.peak - this.start) / 2 ** 20;
  }
}

/**
 * The same mix parsed by the app's parser pool alone (no fetch, no store): the part of the import
 * no pipelining can hide, shown beside the whole so the gap to the goal is visible.
 */
async function parseOnlySeconds(count: number, from: MailUser, to: MailUser, attachmentsDir: string): Promise<number> {
  const pool = new MailParserPool({ attachmentsDir, workers: parserWorkerCount() });
  const messages: Buffer[] = [];
  for (let i = 0; i < count; i++) messages.push(await makeMessage(i, from, to));
  const start = performance.now();
  try {
    const results = await Promise.all(messages.map((message) => pool.parse(message)));
    if (results.some((result) => !result.ok)) throw new Error('parse-only run: a message did not parse');
    return (performance.now() - start) / 1000;
  } finally {
    await pool.close();
  }
}

async function fillMailbox(stack: MailStackInfo, user: MailUser, from: MailUser, count: number): Promise<void> {
  const client = imapClient(stack, user);
  await client.connect();
  try {
    for (let i = 0; i < count; i++) await client.append('INBOX', await makeMessage(i, from, user));
  } finally {
    await client.logout();
  }
}

export const initialImportBenchmark: Benchmark = {
  name: 'initial-import',
  async run(ctx) {
    const count = ctx.quick ? 1000 : 10_000;
    const { stack } = ctx;
    const user = stack.users.other;
    await fillMailbox(stack, user, stack.users.customer, count);

    // Baseline: fetch every message's source and throw it away.
    let cpuStart = process.cpuUsage();
    const bareMemory = new PeakMemory();
    let start = performance.now();
    const bare = imapClient(stack, user);
    await bare.connect();
    const lock = await bare.getMailboxLock('INBOX');
    let fetched = 0;
    for await (const message of bare.fetch('1:*', { uid: true, source: true })) if (message.source) fetched++;
    lock.release();
    await bare.logout();
    const bareSeconds = (performance.now() - start) / 1000;
    const bareGrowth = bareMemory.stop();
    const bareCpu = cpuSeconds(cpuStart);
    if (fetched !== count) throw new Error(`baseline fetched ${fetched} of ${count}`);

    const core = startCore(ctx.tempDir());
    await core.start();
    const ourMemory = new PeakMemory();
    cpuStart = process.cpuUsage();
    let created = 0;
    let firstFifty = Number.NaN;
    start = performance.now();
    core.events.on('conversations:changed', (payload) => {
      created += payload.created.length;
      if (created >= 50 && Number.isNaN(firstFifty)) firstFifty = (performance.now() - start) / 1000;
    });
    try {
      await call(core, 'channels:create', channelFor(stack, user, { initialImport: 'all' }));
      await waitUntil(() => created >= count, 30 * 60_000, `all ${count} conversations`);
      const ourSeconds = (performance.now() - start) / 1000;
      const ourGrowth = ourMemory.stop();
      const ourCpu = cpuSeconds(cpuStart);
      // Searchable means found by a word only the oldest message has.
      const found = await call(core, 'conversations:list', { view: 'all', query: 'm0z', limit: 5 });
      if (found.total !== 1) throw new Error(`search for the oldest message found ${found.total}`);
      await core.stop();
      const parseSeconds = await parseOnlySeconds(count, stack.users.customer, user, join(ctx.tempDir(), 'attachments'));
      return [
        {
          metric: `import ${count} messages until searchable`,
          unit: 's',
          ours: ourSeconds,
          baseline: bareSeconds,
          goal: '<= 1.5x bare fetch',
          met: ourSeconds <= 1.5 * bareSeconds,
        },
        { metric: 'newest 50 conversations visible', unit: 's', ours: firstFifty, baseline: bareSeconds, goal: '<= 2 s from start', met: firstFifty <= 2 },
        { metric: `peak memory growth during import (${count})`, unit: 'MB', ours: ourGrowth, baseline: bareGrowth, goal: '<= 150 MB', met: ourGrowth <= 150 },
        // Where the time goes: on a machine with few cores the import is bound by CPU, not by waiting.
        { metric: 'CPU time of this process (all threads)', unit: 's', ours: ourCpu, baseline: bareCpu },
        { metric: `parsing alone, parser pool of ${parserWorkerCount()} workers (no fetch, no store)`, unit: 's', ours: parseSeconds, baseline: bareSeconds },
      ];
    } finally {
      await core.stop();
    }
  },
};
