import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { describe, expect, inject, it } from 'vitest';
import { withImapSession } from '../../../test/mailstack/mailstack';
import { tempDir } from '../../../test/support/temp';
import type { FetchedMessage } from '../ingest/types';
import { FetchPipeline, type CursorMove, type FetchPipelineOptions, type MessageMeta } from './fetch-pipeline';

// The fetch pipeline on its own, against the real Dovecot of test/mailstack: each test fills a
// mailbox of its own and drives the pipeline over one real IMAP session, with a recording ingest in
// place of the store (the pipeline only hands batches over; what ingest does with them is not its job).

const stack = inject('mailstack');
const { support } = stack.users;

function message(n: number, body = `Body ${n}`): Buffer {
  return Buffer.from(
    `From: c${n}@example.com\r\nTo: ${support.address}\r\nSubject: Message ${n}\r\nMessage-ID: <p${n}.${randomBytes(4).toString('hex')}@example.com>\r\n\r\n${body}\r\n`,
  );
}

async function readAll(source: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(source)) return source;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Handed {
  uids: number[];
  move: CursorMove;
  bodies: string[];
  streamed: boolean[];
}

/** A mailbox of the test's own with `messages` in it, and one session on it for `fn`. */
async function withMailbox<T>(messages: Buffer[], fn: (client: ImapFlow, mailbox: string) => Promise<T>): Promise<T> {
  const mailbox = `Pipeline-${randomBytes(4).toString('hex')}`;
  return withImapSession(stack, support, async (client) => {
    await client.mailboxCreate(mailbox);
    try {
      for (const raw of messages) await client.append(mailbox, raw);
      await client.mailboxOpen(mailbox, { readOnly: true });
      return await fn(client, mailbox);
    } finally {
      await client.mailboxClose().catch(() => undefined);
      await client.mailboxDelete(mailbox).catch(() => undefined);
    }
  });
}

function pipelineFor(client: ImapFlow, handed: Handed[], options: Partial<FetchPipelineOptions> = {}): FetchPipeline {
  return new FetchPipeline(client, {
    batchSize: 3,
    largeMessageBytes: 1024,
    commandTimeoutMs: 20_000,
    keepsOrder: false,
    step: (fn) => fn(),
    stopped: () => false,
    ingest: async (messages: FetchedMessage[], move: CursorMove) => {
      const bodies = await Promise.all(messages.map(async (m) => (await readAll(m.source)).toString('utf8')));
      handed.push({ uids: messages.map((m) => m.uid), move, bodies, streamed: messages.map((m) => !Buffer.isBuffer(m.source)) });
    },
    ...options,
  });
}

async function importAll(pipeline: FetchPipeline, metas: MessageMeta[]): Promise<void> {
  await pipeline.run(async (flow) => {
    for (const batch of pipeline.batches(metas)) await pipeline.enqueue(flow, batch, { advanceTo: batch.at(-1)!.uid });
  });
}

describe('FetchPipeline against Dovecot', () => {
  it('hands every message over once, in batches in order, each with its cursor move; large ones as streams from files it removes', async () => {
    const spoolDir = tempDir('auxilium-pipeline-');
    try {
      const big = 'x'.repeat(5_000);
      const raws = [message(1), message(2), message(3, big), message(4), message(5), message(6, big), message(7)];
      const handed: Handed[] = [];
      const stored: number[][] = [];
      await withMailbox(raws, async (client) => {
        const pipeline = pipelineFor(client, handed, { tempDir: spoolDir.path, afterStored: async (batch) => void stored.push(batch.map((m) => m.uid)) });
        const metas = await pipeline.list('1:*');
        expect(metas.map((m) => m.uid)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        await importAll(pipeline, metas);
      });
      expect(handed.map((h) => h.uids)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
      expect(handed.map((h) => h.move)).toEqual([{ advanceTo: 3 }, { advanceTo: 6 }, { advanceTo: 7 }]);
      // Byte for byte what the server holds; the large ones came through the disk.
      expect(handed.flatMap((h) => h.bodies)).toEqual(raws.map((r) => r.toString('utf8')));
      expect(handed.flatMap((h) => h.streamed)).toEqual([false, false, true, false, false, true, false]);
      // Each batch marked (afterStored) only once it was stored, in order.
      expect(stored).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
      expect(readdirSync(spoolDir.path)).toEqual([]);
    } finally {
      spoolDir.remove();
    }
  });

  it('overlaps fetching the next batch with storing this one, and never stores a batch before the one ahead of it', async () => {
    const raws = Array.from({ length: 9 }, (_, n) => message(n + 1));
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstStored = new Promise<void>((resolve) => (releaseFirst = resolve));
    const handed: Handed[] = [];
    await withMailbox(raws, async (client) => {
      const metas: MessageMeta[] = [];
      let fetches = 0;
      const pipeline = pipelineFor(client, handed, {
        // Every IMAP command goes through step(): the second FETCH of bodies is the second batch.
        step: async (fn) => {
          const result = await fn();
          if (metas.length > 0 && ++fetches === 2) {
            events.push('second fetched');
            releaseFirst();
          }
          return result;
        },
        ingest: async (messages) => {
          const uids = messages.map((m) => m.uid);
          events.push(`store ${uids.join(',')} begins`);
          if (uids[0] === 1) await firstStored;
          events.push(`store ${uids.join(',')} ends`);
        },
      });
      metas.push(...(await pipeline.list('1:*')));
      await importAll(pipeline, metas);
    });
    expect(events.indexOf('second fetched')).toBeLessThan(events.indexOf('store 1,2,3 ends'));
    expect(events.filter((e) => e.startsWith('store'))).toEqual([
      'store 1,2,3 begins',
      'store 1,2,3 ends',
      'store 4,5,6 begins',
      'store 4,5,6 ends',
      'store 7,8,9 begins',
      'store 7,8,9 ends',
    ]);
  });

  it('stops at a batch that cannot be stored: nothing after it is handed over, and its spooled files go', async () => {
    const spoolDir = tempDir('auxilium-pipeline-');
    try {
      const big = 'y'.repeat(5_000);
      const raws = [message(1), message(2, big), message(3), message(4, big), message(5), message(6)];
      const tried: number[][] = [];
      let failure: unknown;
      await withMailbox(raws, async (client) => {
        const pipeline = pipelineFor(client, [], {
          tempDir: spoolDir.path,
          ingest: async (messages) => {
            tried.push(messages.map((m) => m.uid));
            throw new Error('disk full');
          },
        });
        const metas = await pipeline.list('1:*');
        failure = await importAll(pipeline, metas).catch((error: unknown) => error);
        await pipeline.release();
      });
      expect(failure).toMatchObject({ message: 'disk full' });
      expect(tried).toEqual([[1, 2, 3]]);
      expect(readdirSync(spoolDir.path)).toEqual([]);
    } finally {
      spoolDir.remove();
    }
  });

  it('skips a message expunged between listing and fetching, and still moves the cursor past it', async () => {
    const handed: Handed[] = [];
    await withMailbox([message(1), message(2), message(3)], async (client, mailbox) => {
      const pipeline = pipelineFor(client, handed);
      const metas = await pipeline.list('1:*');
      // Someone deletes message 2 in their mail program meanwhile.
      await withImapSession(stack, support, async (other) => {
        const lock = await other.getMailboxLock(mailbox);
        try {
          await other.messageDelete('2', { uid: true });
        } finally {
          lock.release();
        }
      });
      await importAll(pipeline, metas);
    });
    expect(handed.map((h) => [h.uids, h.move])).toEqual([[[1, 3], { advanceTo: 3 }]]);
  });

  it('hands an empty batch over as it is (a backfill that found nothing still moves its cursor)', async () => {
    const handed: Handed[] = [];
    await withMailbox([], async (client) => {
      const pipeline = pipelineFor(client, handed);
      await pipeline.run((flow) => pipeline.enqueue(flow, [], { backfillBelow: null }));
    });
    expect(handed).toEqual([{ uids: [], move: { backfillBelow: null }, bodies: [], streamed: [] }]);
  });

  it('removes spooled files of batches still on their way when the session ends', async () => {
    const spoolDir = tempDir('auxilium-pipeline-');
    try {
      let inIngest!: () => void;
      const reached = new Promise<void>((resolve) => (inIngest = resolve));
      let sawFile = false;
      await withMailbox([message(1, 'z'.repeat(5_000))], async (client) => {
        const pipeline = pipelineFor(client, [], {
          tempDir: spoolDir.path,
          ingest: async () => {
            sawFile = readdirSync(spoolDir.path).length === 1;
            inIngest();
            await new Promise(() => undefined);
          },
        });
        const metas = await pipeline.list('1:*');
        void pipeline.run((flow) => pipeline.enqueue(flow, metas, {}));
        await reached;
        await pipeline.release();
      });
      expect(sawFile).toBe(true);
      expect(existsSync(spoolDir.path) ? readdirSync(spoolDir.path) : []).toEqual([]);
    } finally {
      spoolDir.remove();
    }
  });
});
