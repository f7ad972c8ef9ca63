import { DEFAULT_INBOX_SETTINGS, type ChannelNotice, type ChannelStatus } from '../../shared/channel';
import { storedAuthSchema, DEFAULT_AUTH } from '../../shared/oauth';
import { addMessage, keepFirstMessage, type FakeInbox, type FakeMessage, type Handler } from './fake-inbox';

/**
 * A stand-in for the reply side of the host (outbox, drafts, a channel with a signature), to plug
 * into installFakeInbox's `handlers`. A reply waits out its undo window, then goes sending → sent;
 * a reply whose text contains REJECT fails permanently the way a relay denial would, and one with
 * TEMPFAIL is queued for a retry first. Every state change emits `conversations:changed`. A file
 * whose name contains REFUSE is not attached.
 */

export interface FakeOutbox {
  drafts: Map<number, string>;
  /** Files attached to drafts, per conversation. */
  files: Map<number, { id: number; filename: string; contentType: string; size: number }[]>;
  /** Replies that reached "sent", in order. */
  sent: FakeMessage[];
  cancelled: number[];
  /** Replies with a send still scheduled (waiting out the undo window, or a retry). */
  scheduled: Set<number>;
}

export const RELAY_DENIED = {
  code: 'RELAY_DENIED',
  message: 'The server refused to deliver to customer@example.com',
  cause: 'The SMTP server does not relay mail for this sender to that address (554 5.7.1 Relay access denied).',
  fix: 'Check the From Address and that the SMTP username may send as it, then Retry.',
  detail: '554 5.7.1 <customer@example.com>: Relay access denied',
  retryable: false,
};

export const SENT_COPY_REFUSED = {
  code: 'SENT_COPY_REFUSED' as const,
  message: 'The server refused to file the copy in "INBOX.Sent"',
  cause: 'The reply was sent, but the server did not accept its copy into the Sent folder.',
  fix: 'Read the server response below: free up space in the mailbox, or choose another Sent folder in the channel settings.',
  detail: 'Message contains bare newlines',
  retryable: true,
};

export function fakeChannel(id: string, signature: string) {
  const now = new Date().toISOString();
  const server = {
    host: 'mail.example.com',
    port: 993,
    username: 'support@auxilium.test',
    hasPassword: true,
    tls: true,
    tlsMode: 'auto',
    trustedCertificate: null,
  };
  return {
    id,
    name: 'Support Email',
    type: 'email',
    enabled: true,
    imap: { ...server, mailbox: 'INBOX' },
    smtp: { ...server, port: 587, fromName: 'Acme Support', fromAddress: 'support@auxilium.test' },
    supportAddress: 'support@auxilium.test',
    // The defaults, so the stand-in channel keeps every setting the contract requires.
    inbox: { ...DEFAULT_INBOX_SETTINGS, signature },
    status: { state: 'connected', message: 'Watching INBOX', since: now } as ChannelStatus,
    auth: storedAuthSchema.parse(DEFAULT_AUTH),
    notices: [] as ChannelNotice[],
    createdAt: now,
    updatedAt: now,
  };
}

export function outboxHandlers(outbox: FakeOutbox, channels: unknown[]): (inbox: FakeInbox) => Record<string, Handler> {
  return (inbox) => {
    const timers = new Map<number, ReturnType<typeof setTimeout>[]>();
    // addMessage numbers by position, which repeats once a reply is taken back; replies get their own.
    let nextReplyId = 7_000_000;
    let nextFileId = 1;
    const { files } = outbox;
    const changed = (m: FakeMessage) => inbox.emit('conversations:changed', { ids: [m.conversationId], created: [] });
    const find = (id: unknown) => {
      for (const list of inbox.messages.values()) {
        const m = list.find((x) => x.id === id);
        if (m) return { m, list };
      }
      throw new Error('No such message');
    };
    const later = (m: FakeMessage, ms: number, fn: () => void) => {
      outbox.scheduled.add(m.id);
      const t = setTimeout(() => {
        outbox.scheduled.delete(m.id);
        fn();
      }, ms);
      timers.set(m.id, [...(timers.get(m.id) ?? []), t]);
    };
    const attempt = (m: FakeMessage) => {
      const d = m.delivery!;
      d.state = 'sending';
      d.attempts += 1;
      changed(m);
      later(m, 400, () => {
        if (m.text.includes('REJECT')) {
          Object.assign(d, { state: 'failed', error: RELAY_DENIED, nextAttemptAt: null });
        } else if (m.text.includes('TEMPFAIL') && d.attempts === 1) {
          Object.assign(d, {
            state: 'queued',
            error: { ...RELAY_DENIED, code: 'CONNECTION_REFUSED', message: 'Connection refused by mail.example.com:587', retryable: true },
            nextAttemptAt: new Date(Date.now() + 2000).toISOString(),
          });
          later(m, 2000, () => attempt(m));
        } else {
          Object.assign(d, { state: 'sent', error: null, nextAttemptAt: null });
          // Sent, but the server refused its copy in the Sent folder (as Cyrus did with bare newlines).
          if (m.text.includes('UNFILED')) d.filing = { folder: 'INBOX.Sent', error: SENT_COPY_REFUSED, retrying: true };
          m.date = new Date().toISOString();
          outbox.sent.push(m);
        }
        changed(m);
      });
    };

    return {
      'channels:list': () => channels,
      'drafts:get': (input) => ({
        text: outbox.drafts.get(input.conversationId as number) ?? '',
        attachments: files.get(input.conversationId as number) ?? [],
      }),
      'drafts:add-attachment': (input) => {
        if (String(input.filename).includes('REFUSE')) throw new Error('The disk is full.');
        const id = input.conversationId as number;
        const file = {
          id: nextFileId++,
          filename: String(input.filename),
          contentType: String(input.contentType),
          size: Buffer.from(String(input.content), 'base64').length,
        };
        files.set(id, [...(files.get(id) ?? []), file]);
        return file;
      },
      'drafts:remove-attachment': (input) => {
        for (const [id, list] of files)
          files.set(
            id,
            list.filter((f) => f.id !== input.id),
          );
        return {};
      },
      'drafts:save': (input) => {
        outbox.drafts.set(input.conversationId as number, String(input.text));
        return {};
      },
      'conversations:send-reply': (input) => {
        const c = inbox.conversations.find((x) => x.id === input.id);
        if (!c) throw new Error('No such conversation');
        keepFirstMessage(inbox, c);
        const last = inbox.messages
          .get(c.id)!
          .filter((m) => m.direction === 'inbound')
          .at(-1);
        const undo = typeof input.undoSeconds === 'number' ? input.undoSeconds : 5;
        // The agent's edited recipients (always given for a forward), else the reply's defaults.
        const chosen = input.recipients as { to: FakeMessage['to']; cc: FakeMessage['cc']; bcc: FakeMessage['cc'] } | undefined;
        const forwarding = input.mode === 'forward';
        const m = addMessage(inbox, c.id, {
          direction: 'outbound',
          from: { name: 'Acme Support', address: 'support@auxilium.test' },
          to: chosen ? chosen.to : [c.customer],
          cc: chosen ? chosen.cc : input.mode === 'reply-all' ? (last?.cc ?? []) : [],
          bcc: chosen?.bcc ?? [],
          forwardOf: forwarding ? (input.forwardOf as number) : null,
          subject: forwarding ? `Fwd: ${c.subject}` : c.subject.startsWith('Re: ') ? c.subject : `Re: ${c.subject}`,
          text: String(input.text).trim(),
          date: new Date().toISOString(),
          delivery: { state: 'queued', error: null, attempts: 0, nextAttemptAt: new Date(Date.now() + undo * 1000).toISOString(), refused: [], filing: null },
        });
        m.id = nextReplyId++;
        files.delete(c.id);
        later(m, undo * 1000, () => attempt(m));
        return m;
      },
      'outbox:cancel': (input) => {
        const { m, list } = find(input.messageId);
        if (m.delivery?.state !== 'queued' && m.delivery?.state !== 'failed') throw new Error('This reply is already on its way and can no longer be changed.');
        for (const t of timers.get(m.id) ?? []) clearTimeout(t);
        outbox.scheduled.delete(m.id);
        list.splice(list.indexOf(m), 1);
        outbox.cancelled.push(m.id);
        return { text: m.text, attachments: [] };
      },
      'outbox:retry': (input) => {
        const { m } = find(input.messageId);
        m.text = m.text.replace('REJECT', 'accepted');
        attempt(m);
        return m;
      },
    };
  };
}
