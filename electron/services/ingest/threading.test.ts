import { describe, expect, it } from 'vitest';
import {
  findThread, isOwnMessageId, newConversationToken, normalizeMessageId, outgoingMessageId, subjectWithToken, tokenInMessageId, tokenInSubject,
  type ThreadingHeaders, type ThreadLookup,
} from './threading';

/** Conversation 1 belongs to carol (token AAAA2222), conversation 2 to dave (token BBBB3333). */
function lookup(): ThreadLookup {
  const byMessageId: Record<string, number> = { 'c1-first@example.com': 1, 'c1-second@example.com': 1, 'c2-first@example.com': 2 };
  const byToken: Record<string, number> = { AAAA2222: 1, BBBB3333: 2 };
  const participants: Record<number, string[]> = { 1: ['carol@example.com', 'carols-boss@example.com'], 2: ['dave@example.com'] };
  return {
    conversationByMessageId: (id) => byMessageId[id],
    conversationByToken: (token) => byToken[token],
    isParticipant: (id, address) => (participants[id] ?? []).includes(address.toLowerCase()),
  };
}

function headers(overrides: Partial<ThreadingHeaders>): ThreadingHeaders {
  return { inReplyTo: null, references: [], subject: 'Hello', fromAddress: 'carol@example.com', bounceOf: [], ...overrides };
}

describe('findThread', () => {
  it('starts a new conversation when nothing matches', () => {
    expect(findThread(headers({ inReplyTo: '<unknown@x>' }), lookup())).toBeNull();
  });

  it('follows In-Reply-To first', () => {
    const match = findThread(headers({ inReplyTo: '<c2-first@example.com>', references: ['<c1-first@example.com>'] }), lookup());
    expect(match).toEqual({ conversationId: 2, rule: 'in-reply-to' });
  });

  it('tries References newest first', () => {
    const match = findThread(headers({ references: ['<c1-first@example.com>', '<c2-first@example.com>', '<unknown@x>'] }), lookup());
    expect(match).toEqual({ conversationId: 2, rule: 'references' });
  });

  it('falls back to the token in our Message-ID when a client rewrote the headers', () => {
    const match = findThread(headers({ references: ['<aux.bbbb3333.k2j3h4@acme.test>'] }), lookup());
    expect(match).toEqual({ conversationId: 2, rule: 'header-token' });
  });

  it('uses the subject token when the sender took part in that conversation', () => {
    expect(findThread(headers({ subject: 'RE: Your order [#AAAA2222]' }), lookup())).toEqual({ conversationId: 1, rule: 'subject-token' });
    expect(findThread(headers({ subject: 'AW: x [#aaaa2222]', fromAddress: 'Carols-Boss@example.com' }), lookup())?.conversationId).toBe(1);
  });

  it("never threads into another customer's conversation by subject token alone", () => {
    expect(findThread(headers({ subject: 'Re: Your order [#BBBB3333]', fromAddress: 'carol@example.com' }), lookup())).toBeNull();
    expect(findThread(headers({ subject: 'Re: [#BBBB3333]', fromAddress: null }), lookup())).toBeNull();
  });

  it('takes the last subject token when an older one is quoted before it', () => {
    expect(tokenInSubject('Fwd: [#BBBB3333] Re: thing [#AAAA2222]')).toBe('AAAA2222');
  });

  it('attaches a bounce to the conversation of the message it reports on', () => {
    const match = findThread(headers({ subject: 'Undelivered Mail', fromAddress: 'mailer-daemon@mx.test', bounceOf: ['<c1-second@example.com>'] }), lookup());
    expect(match).toEqual({ conversationId: 1, rule: 'bounce' });
    const byToken = findThread(headers({ fromAddress: 'mailer-daemon@mx.test', bounceOf: ['<aux.AAAA2222.zz@acme.test>'] }), lookup());
    expect(byToken).toEqual({ conversationId: 1, rule: 'header-token' });
  });
});

describe('token formats', () => {
  it('round-trips a token through our Message-ID and subject', () => {
    const token = newConversationToken();
    expect(token).toMatch(/^[A-Z2-9]{8}$/);
    const id = outgoingMessageId(token, 'acme.test');
    expect(id).toMatch(new RegExp(`^<aux\\.${token}\\.[a-z0-9]{16}@acme\\.test>$`));
    expect(tokenInMessageId(id)).toBe(token);
    expect(isOwnMessageId(normalizeMessageId(id))).toBe(true);
    expect(isOwnMessageId('someone@example.com')).toBe(false);
    const subject = subjectWithToken('Your order', token);
    expect(subject).toBe(`Your order [#${token}]`);
    expect(subjectWithToken(subject, token)).toBe(subject);
    expect(tokenInSubject(`Re: ${subject}`)).toBe(token);
  });

  it('does not take a word that merely ends in aux for a token', () => {
    expect(tokenInMessageId('<faux.ABCDEFGH.x@example.com>')).toBeNull();
  });

  it('normalises Message-IDs', () => {
    expect(normalizeMessageId(' <a@b> ')).toBe('a@b');
    expect(normalizeMessageId('<>')).toBeNull();
    expect(normalizeMessageId(null)).toBeNull();
  });
});
