import { describe, expect, inject, it } from 'vitest';
import { deliver, imapServers, withImapSession } from '../../../test/mailstack/mailstack';
import { marker, waitFor } from '../../../test/support/core';
import { searchUids } from './search';

// imapflow answers a SEARCH the server refused with false; searchUids() must turn that into an
// error, or callers read it as "nothing matched" (a reply looks absent from Sent and goes out
// twice; a message looks gone and its move is taken as made). Against Dovecot and Cyrus.
const stack = inject('mailstack');

describe.each(imapServers(stack))('searching a mailbox on $server', (s) => {
  it('finds a message by its Message-ID, and finds nothing for an unknown one', async () => {
    const mark = marker();
    await deliver(s, {
      from: s.users.customer.address,
      to: s.users.other.address,
      subject: `Search ${mark}`,
      text: mark,
      headers: { 'Message-ID': `<${mark}@example.com>` },
    });
    await withImapSession(s, s.users.other, async (client) => {
      const found = await waitFor('the delivered message', async () => {
        const lock = await client.getMailboxLock('INBOX', { readOnly: true });
        try {
          const uids = await searchUids(client, { header: { 'message-id': `${mark}@example.com` } });
          return uids.length > 0 ? uids : undefined;
        } finally {
          lock.release();
        }
      });
      expect(found).toHaveLength(1);
      const lock = await client.getMailboxLock('INBOX', { readOnly: true });
      try {
        expect(await searchUids(client, { header: { 'message-id': `none-${mark}@example.com` } })).toEqual([]);
      } finally {
        lock.release();
      }
    });
  });

  it('throws when the server refuses the SEARCH, naming the folder, instead of answering "nothing matched"', async () => {
    await withImapSession(s, s.users.other, async (client) => {
      const lock = await client.getMailboxLock('INBOX', { readOnly: true });
      try {
        // A negative size is not a number IMAP allows: both servers answer BAD.
        await expect(searchUids(client, { larger: -1 })).rejects.toMatchObject({ code: 'SearchFailed', message: 'The server refused to search INBOX' });
      } finally {
        lock.release();
      }
    });
  });
});
