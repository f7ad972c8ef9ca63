import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../electron/services/store/database';
import { ftsQuery } from '../electron/services/store/fts';
import { MailStore } from '../electron/services/store/mail-store';
import { percentile, type Benchmark } from './harness';
import { call, startCore } from './support';

/**
 * Search at 100,000 messages: our conversations:list call with a query (validation, FTS, paging,
 * counting, summaries — what the inbox's search box runs) against a bare FTS5 MATCH on the same file.
 */

const WORDS = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x${(i * 7919).toString(36)}`);

/** Zipf-like: a few words are everywhere, most are rare, as in real mail. */
function word(random: () => number): string {
  return WORDS[Math.floor(WORDS.length * random() ** 3)]!;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

export const searchBenchmark: Benchmark = {
  name: 'search',
  async run(ctx) {
    const messages = ctx.quick ? 20_000 : 100_000;
    const dataDir = ctx.tempDir();
    const random = seeded(42);
    const seedDb = openDatabase(join(dataDir, 'auxilium.sqlite'));
    const store = new MailStore(seedDb);
    const insert = seedDb.transaction((from: number, to: number) => {
      for (let i = from; i < to; i += 2) {
        const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
        const customer = { name: `Customer ${i}`, address: `customer${i}@example.com` };
        const subject = `${word(random)} ${word(random)} ${word(random)}`;
        const conversationId = store.createConversation({ channelId: 'bench', subject, customer, assigneeId: null, token: `t${i}`, at });
        for (let m = 0; m < 2; m++) {
          const text = Array.from({ length: 60 }, () => word(random)).join(' ');
          store.insertMessage(
            {
              conversationId,
              channelId: 'bench',
              direction: 'inbound',
              kind: 'normal',
              messageId: `<${i}.${m}@bench>`,
              inReplyTo: null,
              references: [],
              dedupeKey: `${i}.${m}`,
              subject,
              from: customer,
              to: [{ name: '', address: 'support@example.com' }],
              cc: [],
              date: at,
              text,
              html: null,
              parseError: null,
              raw: Buffer.from(text),
              rawPath: null,
              size: text.length,
              authorAgentId: null,
              createdAt: at,
              attachments: [],
            },
            { at, unread: true, reopen: false, summary: true },
          );
        }
      }
    });
    for (let i = 0; i < messages; i += 2000) insert(i, Math.min(messages, i + 2000));
    seedDb.close();

    const queries = Array.from({ length: 200 }, (_, i) => {
      const w = word(random);
      // Mix whole words, prefixes typed so far, and two-word searches.
      return i % 3 === 0 ? w.slice(0, 4) : i % 3 === 1 ? w : `${w} ${word(random).slice(0, 3)}`;
    });

    const core = startCore(dataDir);
    const raw = openDatabase(join(dataDir, 'auxilium.sqlite'));
    const rawSearch = raw.prepare('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT 50');
    const ours: number[] = [];
    const baseline: number[] = [];
    try {
      for (const query of queries.slice(0, 20)) {
        await call(core, 'conversations:list', { view: 'all', query, limit: 50 });
        rawSearch.all(ftsQuery(query));
      }
      for (const query of queries) {
        let start = performance.now();
        await call(core, 'conversations:list', { view: 'all', query, limit: 50 });
        ours.push(performance.now() - start);
        start = performance.now();
        rawSearch.all(ftsQuery(query));
        baseline.push(performance.now() - start);
      }
    } finally {
      raw.close();
      await core.stop();
    }
    const p95 = percentile(ours, 95);
    const rawP95 = percentile(baseline, 95);
    return [
      { metric: `p50 search, ${messages} messages`, unit: 'ms', ours: percentile(ours, 50), baseline: percentile(baseline, 50) },
      {
        metric: `p95 search, ${messages} messages`,
        unit: 'ms',
        ours: p95,
        baseline: rawP95,
        goal: '<= 100 ms and <= raw + 50 ms',
        met: p95 <= 100 && p95 <= rawP95 + 50,
      },
    ];
  },
};
