import { randomBytes } from 'node:crypto';

/**
 * Which conversation a message belongs to, and the conversation token that lets replies find their
 * way back when a mail client rewrites the threading headers. Our outgoing Message-IDs look like
 * `<aux.TOKEN.RANDOM@domain>` and our subjects end with `[#TOKEN]`; this file is the only place that
 * knows those formats.
 */

// No 0/O, 1/I: tokens appear in subjects and people read them out on the phone.
const TOKEN_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const TOKEN_LENGTH = 8;
const HEADER_TOKEN = /(?:^|[^A-Za-z0-9])aux\.([A-Za-z0-9]{6,16})\./;
const SUBJECT_TOKEN = /\[#([A-Za-z0-9]{6,16})\]/g;
const OWN_MESSAGE_ID = /^aux\.[A-Za-z0-9]{6,16}\.[^@\s]+@/;

function randomString(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export function newConversationToken(): string {
  return randomString(TOKEN_LENGTH, TOKEN_ALPHABET);
}

/** A Message-ID for mail we send in a conversation, with angle brackets, ready for the header. */
export function outgoingMessageId(token: string, domain: string): string {
  return `<aux.${token}.${randomString(16, 'abcdefghijklmnopqrstuvwxyz0123456789')}@${domain}>`;
}

export function subjectWithToken(subject: string, token: string): string {
  return subject.includes(`[#${token}]`) ? subject : `${subject.trimEnd()} [#${token}]`;
}

/** Message-IDs are stored and compared without angle brackets and surrounding space. */
export function normalizeMessageId(value: string | null | undefined): string | null {
  const trimmed = (value ?? '').trim().replace(/^<+/, '').replace(/>+$/, '').trim();
  return trimmed === '' ? null : trimmed;
}

export function isOwnMessageId(messageId: string | null): boolean {
  return messageId !== null && OWN_MESSAGE_ID.test(messageId);
}

export function tokenInMessageId(messageId: string): string | null {
  return HEADER_TOKEN.exec(messageId)?.[1]?.toUpperCase() ?? null;
}

/** The last `[#TOKEN]` in a subject: a forwarded thread may quote an older one before it. */
export function tokenInSubject(subject: string): string | null {
  const matches = [...subject.matchAll(SUBJECT_TOKEN)];
  return matches.at(-1)?.[1]?.toUpperCase() ?? null;
}

/** What the store answers for threading, all scoped to one channel. */
export interface ThreadLookup {
  conversationByMessageId(messageId: string): number | undefined;
  conversationByToken(token: string): number | undefined;
  /** The conversation's customer, or anyone who sent or received one of its messages. */
  isParticipant(conversationId: number, address: string): boolean;
}

export interface ThreadingHeaders {
  inReplyTo: string | null;
  /** Oldest first, as in the header. */
  references: string[];
  subject: string;
  fromAddress: string | null;
  /** For a bounce: the Message-IDs of the message it reports on. */
  bounceOf: string[];
}

export type ThreadRule = 'bounce' | 'in-reply-to' | 'references' | 'header-token' | 'subject-token';
export interface ThreadMatch {
  conversationId: number;
  rule: ThreadRule;
}

/**
 * Finds the conversation a message continues, or null for a new one. Message-ID matches come first
 * because they name one message exactly; the token is the fallback for clients that drop or rewrite
 * those headers. Every rule also needs the sender to have taken part in that conversation already
 * (or to be one of the channel's own addresses): Message-IDs and tokens travel in headers anyone can
 * copy, and a stranger who joined a thread could have the agent's next reply sent to them. So a
 * stranger's mail starts a conversation of its own. A bounce is the exception: it comes from a mail
 * server, and attaches to the conversation of the message it reports on.
 */
export function findThread(headers: ThreadingHeaders, lookup: ThreadLookup, ownAddresses: readonly string[]): ThreadMatch | null {
  const sender = headers.fromAddress?.trim().toLowerCase() || null;
  const own = new Set(ownAddresses.map((address) => address.trim().toLowerCase()));
  const takesPart = (conversationId: number) => sender !== null && (own.has(sender) || lookup.isParticipant(conversationId, sender));

  const newestReferencesFirst = [...headers.references].reverse();
  function* candidates(): Generator<{ conversationId: number | undefined; rule: ThreadRule; fromBounce: boolean }> {
    const byId = (raw: string | null) => {
      const id = normalizeMessageId(raw);
      return id === null ? undefined : lookup.conversationByMessageId(id);
    };
    const byHeaderToken = (raw: string | null) => {
      const token = raw ? tokenInMessageId(raw) : null;
      return token ? lookup.conversationByToken(token) : undefined;
    };
    for (const raw of headers.bounceOf) yield { conversationId: byId(raw), rule: 'bounce', fromBounce: true };
    yield { conversationId: byId(headers.inReplyTo), rule: 'in-reply-to', fromBounce: false };
    for (const raw of newestReferencesFirst) yield { conversationId: byId(raw), rule: 'references', fromBounce: false };
    for (const raw of headers.bounceOf) yield { conversationId: byHeaderToken(raw), rule: 'header-token', fromBounce: true };
    for (const raw of [headers.inReplyTo, ...newestReferencesFirst]) yield { conversationId: byHeaderToken(raw), rule: 'header-token', fromBounce: false };
    const token = tokenInSubject(headers.subject);
    yield { conversationId: token ? lookup.conversationByToken(token) : undefined, rule: 'subject-token', fromBounce: false };
  }

  for (const { conversationId, rule, fromBounce } of candidates()) {
    if (conversationId !== undefined && (fromBounce || takesPart(conversationId))) return { conversationId, rule };
  }
  return null;
}
