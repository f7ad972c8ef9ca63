import { existsSync, mkdirSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp';
import { fetched, openHarness, SUPPORT } from '../../../test/support/mail-harness';
import { sweepUnreferencedFiles } from './file-sweep';
import { OutboxRepo } from './outbox-repo';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOUR = 60 * 60 * 1000;

/** A message large enough that its raw bytes are kept as a file, with one attachment. */
function mailWithAttachment(): Promise<Buffer> {
  return new MailComposer({
    from: 'Carol <carol@example.com>',
    to: SUPPORT,
    subject: 'Invoice',
    text: 'Attached.',
    attachments: [{ filename: 'invoice.pdf', content: Buffer.alloc(400_000, 7) }],
  })
    .compile()
    .build();
}

function stray(folder: string, name: string, ageMs: number): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, name);
  writeFileSync(path, 'left behind');
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
  return path;
}

const foldersOf = (dir: string) => [join(dir, 'attachments'), join(dir, 'attachments', 'outbound'), join(dir, 'raw')];

describe('sweepUnreferencedFiles', () => {
  it('removes old files no message or draft refers to, and keeps every file a message or a draft needs', async () => {
    const dir = tempDir('auxilium-sweep-');
    const h = openHarness(dir.path);
    cleanups.push(dir.remove, () => h.close());
    const { created } = await h.ingestor.ingest(h.position, [fetched(await mailWithAttachment())], {});
    const message = h.store.messages(created[0]!)[0]!;
    const kept = [...readdirSync(join(dir.path, 'attachments')), ...readdirSync(join(dir.path, 'raw'))];
    expect(kept).toHaveLength(2); // the attachment and the raw message
    // A file attached to a draft days ago, not sent yet.
    const drafted = stray(join(dir.path, 'attachments', 'outbound'), 'draft-file.pdf', 48 * HOUR);
    new OutboxRepo(h.db, h.store).addDraftAttachment(
      created[0]!,
      { filename: 'quote.pdf', contentType: 'application/pdf', size: 11, path: drafted },
      new Date().toISOString(),
    );

    const orphans = [
      stray(join(dir.path, 'attachments'), 'crashed-before-commit.pdf', 2 * HOUR),
      stray(join(dir.path, 'attachments', 'outbound'), 'reply-file.png', 2 * HOUR),
      stray(join(dir.path, 'raw'), '.incoming-interrupted', 2 * HOUR),
    ];
    const young = stray(join(dir.path, 'attachments'), 'being-written.pdf', 60_000);

    const removed = await sweepUnreferencedFiles(h.db, foldersOf(dir.path));
    expect(removed.sort()).toEqual(orphans.sort());
    for (const path of orphans) expect(existsSync(path)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(drafted)).toBe(true);
    expect(readdirSync(join(dir.path, 'raw'))).toHaveLength(1);
    expect(h.store.attachmentFile(message.attachments[0]!.id)).toBeDefined();
    expect(existsSync(h.store.attachmentFile(message.attachments[0]!.id)!.path)).toBe(true);
  });

  it('keeps the files of a data folder that was moved (the stored paths point to the old place)', async () => {
    const parent = tempDir('auxilium-sweep-move-');
    cleanups.push(parent.remove);
    const before = join(parent.path, 'before');
    const first = openHarness(before);
    await first.ingestor.ingest(first.position, [fetched(await mailWithAttachment())], {});
    await first.close();
    const after = join(parent.path, 'after');
    renameSync(before, after);
    const files = [...readdirSync(join(after, 'attachments')), ...readdirSync(join(after, 'raw'))];
    for (const name of files) {
      const path = existsSync(join(after, 'raw', name)) ? join(after, 'raw', name) : join(after, 'attachments', name);
      utimesSync(path, new Date(Date.now() - 2 * HOUR), new Date(Date.now() - 2 * HOUR));
    }

    const moved = openHarness(after);
    cleanups.push(() => moved.close());
    expect(await sweepUnreferencedFiles(moved.db, foldersOf(after))).toEqual([]);
    expect([...readdirSync(join(after, 'attachments')), ...readdirSync(join(after, 'raw'))]).toEqual(files);
  });
});
