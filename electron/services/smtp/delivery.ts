import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { ImapFlow } from 'imapflow';
import type { ChannelNotice, ChannelNoticeKind } from '../../../shared/channel';
import type { Address, Delivery } from '../../../shared/conversation';
import type { MailError } from '../../../shared/errors';
import { replyHtml } from '../../../shared/formatting';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { mapAppendError, mapImapError, mapSmtpError } from '../mail-errors/map-error';
import { readRaw, type RawStore, type StoredRaw } from '../store/raw-store';
import type { Logger } from '../logging/logger';
import type { ChannelRecord } from '../store/channel-repo';
import type { OutboxRepo, OutboxRow, OutgoingRecord } from '../store/outbox-repo';
import { smtpConnectionOptions } from './connect';
import { fileCopy, fileFolder, flagAnswered, hasMessageId, lookupFolder, withImap } from '../imap/mailbox-ops';

/**
 * The steps that deliver one reply: build its MIME, hand it to the SMTP server, finish it on the
 * IMAP server (its Sent copy and \Answered on the customer's message, in one session), send it
 * again to recipients the server deferred, and look for an interrupted one in the Sent folder.
 * Each step records its own outcome on the reply (a filing problem, answered, who is still
 * refused); which reply runs when, and what is tried again, is the scheduler's (scheduler.ts).
 */

/**
 * The X-Auxilium-Agent header: who wrote a reply, so every desktop that finds it in the Sent folder
 * can say so. One line, no control characters; nodemailer encodes anything beyond ASCII (RFC 2047).
 */
export function agentHeader(agent: { name: string; email: string }): string {
  const clean = (text: string) =>
    text
      .replace(/[\u0000-\u001f\u007f<>]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  const name = clean(agent.name);
  const email = clean(agent.email);
  return name ? `${name} <${email}>` : email;
}

/**
 * Builds the MIME with nodemailer (never by hand): the text as typed, an HTML alternative when the
 * agent used simple formatting, the attached files. No Auto-Submitted: this is a human reply.
 */
export function buildMime(out: OutgoingRecord, date: Date): Promise<Buffer> {
  const angle = (id: string) => `<${id}>`;
  const list = (addresses: Address[]) => addresses.map((a) => ({ name: a.name, address: a.address }));
  return new MailComposer({
    from: { name: out.from.name, address: out.from.address },
    to: list(out.to),
    cc: out.cc.length > 0 ? list(out.cc) : undefined,
    subject: out.subject,
    text: out.text,
    html: replyHtml(out.text) ?? undefined,
    date,
    messageId: angle(out.headerMessageId),
    inReplyTo: out.inReplyTo ? angle(out.inReplyTo) : undefined,
    references: out.references.length > 0 ? out.references.map(angle) : undefined,
    // Streamed from their files while the message is built.
    attachments: out.attachments.length > 0 ? out.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, path: a.path })) : undefined,
    // Lets our own ingest recognise the copy as ours wherever it turns up, and name its author.
    headers: { 'X-Auxilium-Conversation': out.token, ...(out.agent ? { 'X-Auxilium-Agent': agentHeader(out.agent) } : {}) },
  })
    .compile()
    .build();
}

/** 4xx, connection and timeout problems are worth retrying unchanged; 5xx and settings problems are not. */
export function isTemporary(err: unknown, mapped: MailError): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { responseCode?: unknown }).responseCode : undefined;
  if (typeof code === 'number' && code >= 400 && code < 500) return true;
  if (typeof code === 'number' && code >= 500) return false;
  return mapped.retryable;
}

/** Everyone a reply is delivered to, Bcc included, each address once. */
export function envelopeRecipients(out: Pick<OutgoingRecord, 'to' | 'cc' | 'bcc'>): string[] {
  const seen = new Set<string>();
  return [...out.to, ...out.cc, ...out.bcc]
    .map((a) => a.address)
    .filter((address) => {
      const key = address.trim().toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** The recipients a server refused in a transaction it accepted for others, each with its mapped error. */
function refusedRecipients(info: { rejected: unknown[]; rejectedErrors?: unknown[] }, secrets: ChannelWithSecrets): Delivery['refused'] {
  const context = { protocol: 'smtp' as const, host: secrets.smtp.host, port: secrets.smtp.port, fromAddress: secrets.smtp.fromAddress };
  const errors = (info.rejectedErrors ?? []) as { recipient?: unknown }[];
  return info.rejected.map((address) => ({
    address: String(address),
    error: mapSmtpError(errors.find((e) => e.recipient === address) ?? {}, context),
  }));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the SMTP server made of a reply. */
export type Submission = { accepted: true; raw: Buffer; refused: Delivery['refused'] } | { accepted: false; error: MailError; temporary: boolean };

/** What was done on the IMAP server for a sent reply; true also when there was nothing to do. */
export interface ServerSteps {
  filed: boolean;
  answered: boolean;
}

/** The bytes that were sent, to file as the Sent copy. */
export interface SentCopy {
  headerMessageId: string;
  raw: Buffer;
}

export interface ReplyDeliveryDeps {
  repo: OutboxRepo;
  /** Keeps the bytes of each sent reply (large ones as files), for its Sent copy. */
  raw: RawStore;
  log: Logger;
  /** Shows (or, with null, takes off) a notice on the channel's card: a Sent copy that failed, or no Sent folder. */
  notice?(channelId: string, kind: ChannelNoticeKind, notice: ChannelNotice | null): void;
  now: () => Date;
  /** Connect/greeting/socket timeout of each SMTP session. */
  timeoutMs: number;
}

export class ReplyDelivery {
  constructor(private readonly deps: ReplyDeliveryDeps) {}

  private transport(secrets: ChannelWithSecrets): ReturnType<typeof nodemailer.createTransport> {
    return nodemailer.createTransport(smtpConnectionOptions(secrets.smtp, { timeoutMs: this.deps.timeoutMs }));
  }

  /** Builds the reply and hands it to the SMTP server, to everyone it is addressed to. */
  async submit(out: OutgoingRecord, secrets: ChannelWithSecrets, date: Date): Promise<Submission> {
    const transport = this.transport(secrets);
    try {
      const raw = await buildMime(out, date);
      // The Bcc is only in the envelope: buildMime never writes it into the message.
      const recipients = envelopeRecipients(out);
      const info = await transport.sendMail({ envelope: { from: out.from.address, to: recipients }, raw });
      // Accepted for the others: the refused ones are shown on the reply, each with what the server said.
      const refused = refusedRecipients(info, secrets);
      if (refused.length > 0) this.deps.log.warn({ messageId: out.messageId, refused: refused.length }, 'outbox: some recipients were refused');
      return { accepted: true, raw, refused };
    } catch (err) {
      const error = mapSmtpError(err, {
        protocol: 'smtp',
        host: secrets.smtp.host,
        port: secrets.smtp.port,
        fromAddress: secrets.smtp.fromAddress,
        oauth: Boolean(secrets.smtp.tokens),
      });
      return { accepted: false, error, temporary: isTemporary(err, error) };
    } finally {
      transport.close();
    }
  }

  /** Keeps the bytes that were sent with the reply; undefined when they could not be kept (the reply went out anyway). */
  async keep(messageId: number, raw: Buffer): Promise<StoredRaw | undefined> {
    try {
      return await this.deps.raw.save(raw);
    } catch (err) {
      this.deps.log.warn({ messageId, err: errorText(err) }, 'outbox: could not keep the bytes of a sent reply');
      return undefined;
    }
  }

  /** The bytes a reply was sent as (kept by `keep`), or null when they were not kept. */
  async sentBytes(messageId: number): Promise<Buffer | null> {
    const stored = this.deps.repo.sentCopy(messageId);
    return stored && (stored.raw || stored.rawPath) ? (await readRaw(stored, Number.MAX_SAFE_INTEGER)).bytes : null;
  }

  /**
   * Whether a reply with this Message-ID is in the Sent folder (ours, or the provider's own \Sent
   * with sentFolder 'none'); the mapped error when the server could not be asked.
   */
  async findInSent(channel: ChannelRecord, secrets: ChannelWithSecrets, headerMessageId: string): Promise<{ found: boolean } | { error: MailError }> {
    try {
      const found = await withImap(secrets.imap, async (client) => {
        const folder = await lookupFolder(client, { sentFolder: channel.inbox.sentFolder });
        return folder ? hasMessageId(client, folder, headerMessageId) : false;
      });
      return { found };
    } catch (err) {
      const mailbox = channel.inbox.sentFolder || 'Sent';
      return { error: mapImapError(err, { protocol: 'imap', host: secrets.imap.host, port: secrets.imap.port, mailbox, oauth: Boolean(secrets.imap.tokens) }) };
    }
  }

  /**
   * The IMAP side of a sent reply, in one session: files `copy` in the Sent folder (null: there is
   * no copy to file now), then sets \Answered on the customer's message unless that is done. A
   * refused APPEND does not keep \Answered from being set in the same session; a session that
   * cannot be had fails both.
   */
  async finishOnServer(messageId: number, channel: ChannelRecord, secrets: ChannelWithSecrets, copy: SentCopy | null): Promise<ServerSteps> {
    // With 'none' the provider files sent mail itself; there is nothing for us to file.
    const toFile = copy && channel.inbox.sentFolder !== 'none' ? copy : null;
    const source = this.answerTarget(messageId);
    const done: ServerSteps = { filed: toFile === null, answered: source === undefined };
    if (done.filed && done.answered) return done;
    // The configured name until the server's \Sent folder is known.
    const filing = { folder: channel.inbox.sentFolder || 'Sent', error: undefined as unknown };
    let answerError: unknown;
    try {
      await withImap(secrets.imap, async (client) => {
        if (toFile) {
          try {
            done.filed = await this.file(client, messageId, channel, toFile, filing);
          } catch (err) {
            filing.error = err;
            // A refused APPEND leaves the session usable; a lost connection does not.
            if (!client.usable) throw err;
          }
        }
        if (source) {
          try {
            done.answered = await this.answer(client, messageId, source);
          } catch (err) {
            answerError = err;
          }
        }
      });
    } catch (err) {
      // No session (connect, login), or it was lost: what was not done failed with it.
      if (toFile && !done.filed) filing.error ??= err;
      if (source && !done.answered) answerError ??= err;
    }
    if (toFile && !done.filed) this.filingFailed(messageId, channel, secrets, filing.folder, filing.error);
    if (source && !done.answered) {
      this.deps.log.warn({ messageId, err: errorText(answerError) }, 'outbox: could not flag the customer message \\Answered');
    }
    return done;
  }

  /** Where the customer's message is on the server, when \Answered is still to be set on it. */
  private answerTarget(messageId: number): { mailbox: string; uidValidity: string; uid: number } | undefined {
    const row = this.deps.repo.get(messageId);
    if (!row || row.answeredAt || !row.parentId) return undefined;
    return this.deps.repo.source(row.parentId);
  }

  /**
   * Files the copy unless it is there already. True when it is there, or when the server has no
   * Sent folder (the card then says so); throws when the server refused it.
   */
  private async file(client: ImapFlow, messageId: number, channel: ChannelRecord, copy: SentCopy, filing: { folder: string }): Promise<boolean> {
    const target = await fileFolder(client, { sentFolder: channel.inbox.sentFolder });
    if (target) {
      filing.folder = target;
      await fileCopy(client, target, copy.headerMessageId, copy.raw);
    } else {
      this.deps.log.warn({ messageId, channelId: channel.id }, 'outbox: the server has no Sent folder; the copy was not filed');
    }
    this.deps.notice?.(channel.id, 'no-sent-folder', target ? null : { kind: 'no-sent-folder' });
    this.deps.notice?.(channel.id, 'sent-copy-failed', null);
    return true;
  }

  /** The reply and the card say why the copy is not filed, in the server's words. */
  private filingFailed(messageId: number, channel: ChannelRecord, secrets: ChannelWithSecrets, folder: string, err: unknown): void {
    const error = mapAppendError(err, { protocol: 'imap', host: secrets.imap.host, port: secrets.imap.port, mailbox: folder });
    const e = err as { message?: unknown; responseText?: unknown } | undefined;
    this.deps.log.warn(
      { messageId, folder, code: error.code, response: typeof e?.responseText === 'string' ? e.responseText : undefined, err: String(e?.message ?? err) },
      'outbox: could not file the copy in the Sent folder',
    );
    this.deps.repo.setFilingProblem(messageId, { folder, error });
    this.deps.notice?.(channel.id, 'sent-copy-failed', { kind: 'sent-copy-failed', folder, error });
  }

  /**
   * \Answered on the customer's message. True when it is set, or when there is nothing to set (its
   * mailbox was renumbered, so the UID names another message); throws when the server did not set it.
   */
  private async answer(client: ImapFlow, messageId: number, source: { mailbox: string; uidValidity: string; uid: number }): Promise<boolean> {
    const outcome = await flagAnswered(client, source);
    if (outcome === 'flagged') this.deps.repo.markAnswered(messageId, this.deps.now().toISOString());
    else this.deps.log.info({ messageId, mailbox: source.mailbox }, 'outbox: the customer message is no longer where it was imported; not flagged \\Answered');
    return true;
  }

  /**
   * Sends the reply, byte for byte as it went out, to the recipients the server deferred, and keeps
   * what is still refused. True when nobody is left waiting; false to try again later.
   */
  async sendToDeferred(row: OutboxRow, from: string, sent: Buffer | null, secrets: ChannelWithSecrets): Promise<boolean> {
    const waiting = row.refused.filter((r) => r.error.retryable);
    if (waiting.length === 0) return true;
    if (!sent || !from) {
      // The bytes that went out were not kept: there is nothing faithful to send them.
      this.stopWaitingForDeferred(row);
      return true;
    }
    const transport = this.transport(secrets);
    let stillRefused: Delivery['refused'];
    try {
      const info = await transport.sendMail({ envelope: { from, to: waiting.map((r) => r.address) }, raw: sent });
      stillRefused = refusedRecipients(info, secrets);
    } catch (err) {
      // Refused for all of them again (each with its reply); anything else (no connection) is tried later as it stands.
      const { rejected, rejectedErrors } = err as { rejected?: unknown[]; rejectedErrors?: unknown[] };
      if (!Array.isArray(rejected) || rejected.length === 0) {
        this.deps.log.info({ messageId: row.messageId, err: errorText(err) }, 'outbox: could not reach the server for deferred recipients');
        return false;
      }
      stillRefused = refusedRecipients({ rejected, rejectedErrors }, secrets);
    } finally {
      transport.close();
    }
    this.deps.repo.setRefused(row.messageId, [...row.refused.filter((r) => !r.error.retryable), ...stillRefused]);
    this.deps.log.info(
      { messageId: row.messageId, delivered: waiting.length - stillRefused.length, refused: stillRefused.length },
      'outbox: sent to deferred recipients again',
    );
    return !stillRefused.some((r) => r.error.retryable);
  }

  /** Deferred recipients are given up on: shown as not delivered, no longer as tried again. True when that changed the reply. */
  stopWaitingForDeferred(row: Pick<OutboxRow, 'messageId'>): boolean {
    const latest = this.deps.repo.get(row.messageId);
    if (!latest?.refused.some((r) => r.error.retryable)) return false;
    this.deps.repo.setRefused(
      row.messageId,
      latest.refused.map((r) => ({ ...r, error: { ...r.error, retryable: false } })),
    );
    return true;
  }
}
