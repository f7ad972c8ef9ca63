import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, inject, it } from 'vitest';
import { withImapSession } from '../../test/mailstack/mailstack';
import { cleanupsAfterAll } from '../../test/support/cleanups';
import { call, coreWithStackChannel, marker, waitFor } from '../../test/support/core';
import { tempDir } from '../../test/support/temp';
import { INLINE_LIMIT } from '../services/store/raw-store';

// On a shared machine, other accounts must not read a user's mail: the data folder and everything
// the app writes into it (database, logs, raw mail, attachments both ways) is the owner's alone.

const stack = inject('mailstack');
const { support, customer } = stack.users;
const onCleanup = cleanupsAfterAll();

/** Every folder and file under `dir` with its permission bits, e.g. "attachments 700". */
function modesUnder(dir: string): { path: string; kind: 'dir' | 'file'; mode: number }[] {
  const out: { path: string; kind: 'dir' | 'file'; mode: number }[] = [{ path: '.', kind: 'dir', mode: statSync(dir).mode & 0o777 }];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out.push({ path: path.slice(dir.length + 1), kind: entry.isDirectory() ? 'dir' : 'file', mode: statSync(path).mode & 0o777 });
  }
  return out;
}

describe('the data folder', () => {
  it('creates the folder, database, log, raw mail and attachments for the user alone, and tightens an existing folder', async () => {
    const parent = tempDir('auxilium-modes-');
    onCleanup(parent.remove);
    const dataDir = join(parent.path, 'data');
    // Left world-readable by an earlier version.
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);

    const { core, channel } = await coreWithStackChannel(stack, support, dataDir, onCleanup);

    // Large enough to be kept as a raw file, with an attachment the parser writes to disk.
    const mark = marker();
    const raw = await new MailComposer({
      from: customer.address,
      to: support.address,
      subject: `Modes ${mark}`,
      text: `Private ${mark}`,
      attachments: [{ filename: 'scan.bin', content: Buffer.alloc(INLINE_LIMIT + 1024, 7) }],
    })
      .compile()
      .build();
    await withImapSession(stack, support, (client) => client.append('INBOX', raw, []));
    const conversation = await waitFor('the conversation', async () => {
      const page = await call(core, 'conversations:list', { view: 'all', channelId: channel.id });
      return page.items.find((c) => c.subject.includes(mark));
    });
    // A file attached to a reply draft.
    await call(core, 'drafts:add-attachment', {
      conversationId: conversation.id,
      filename: 'answer.txt',
      contentType: 'text/plain',
      content: Buffer.from('hello').toString('base64'),
    });

    const entries = modesUnder(dataDir);
    const names = entries.map((e) => e.path);
    expect(names).toEqual(expect.arrayContaining(['auxilium.sqlite', join('logs', 'auxilium.log'), 'raw', 'attachments', join('attachments', 'outbound')]));
    expect(entries.some((e) => e.path.startsWith('raw/') && e.kind === 'file')).toBe(true);
    expect(entries.filter((e) => e.path.startsWith('attachments/') && e.kind === 'file').length).toBeGreaterThanOrEqual(2);
    const open = entries.filter((e) => e.mode !== (e.kind === 'dir' ? 0o700 : 0o600));
    expect(open.map((e) => `${e.path} ${e.mode.toString(8)}`)).toEqual([]);
  });
});
