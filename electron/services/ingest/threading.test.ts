import { describe, expect, it } from 'vitest';
import {
  findThread,
  isOwnMessageId,
  newConversationToken,
  normalizeMessageId,
  outgoingMessageId,
  subjectWithToken,
  tokenInMessageId,
  tokenInSubject,
  type ThreadingHeaders,
  type ThreadLookup,
} from './threading';

/**
 * Conversation 1 belongs to carol (token AAAA2222), conversation 2 to dave (token BBBB3333); erin
 * was copied on both. support@acme.test is the channel's own address.
 */
function lookup(): ThreadLookup {
  const byMessageId: Record<string, number> = { 'c1-first@example.com': 1, 'c1-second@example.com': 1, 'c2-first@example.com': 2 };
  const byToken: Record<string, number> = { AAAA2222: 1, BBBB3333: 2 };
  const participants: Record<number, string[]> = {
    1: ['carol@example.com', 'carols-boss@example.com', 'erin@example.com'],
    2: ['dave@example.com', 'erin@example.com'],
  };
  return {
    conversationByMessageId: (id) => byMessageId[id],
    conversationByToken: (token) => byToken[token],
    isParticipant: (id, address) => (participants[id] ?? []).includes(address.toLowerCase()),
  };
}

function headers(overrides: Partial<ThreadingHeaders>): ThreadingHeaders {
  return { inReplyTo: null, references: [], subject: 'Hello', fromAddress: 'carol@example.com', bounceOf: [], ...overrides };
}

const OWN = ['support@acme.test'];
const find = (overrides: Partial<ThreadingHeaders>) => findThread(headers(overrides), lookup(), OWN);

describe('findThread', () => {
  it('starts a new conversation when nothing matches', () => {
    expect(find({ inReplyTo: '<unknown@x>' })).toBeNull();
  });

  it('follows In-Reply-To first', () => {
    const match = find({ inReplyTo: '<c2-first@example.com>', references: ['<c1-first@example.com>'], fromAddress: 'erin@example.com' });
    expect(match).toEqual({ conversationId: 2, rule: 'in-reply-to' });
  });

  it('tries References newest first', () => {
    const match = find({ references: ['<c1-first@example.com>', '<c2-first@example.com>', '<unknown@x>'], fromAddress: 'erin@example.com' });
    expect(match).toEqual({ conversationId: 2, rule: 'references' });
  });

  it('falls back to the token in our Message-ID when a client rewrote the headers', () => {
    const match = find({ references: ['<aux.bbbb3333.k2j3h4@acme.test>'], fromAddress: 'dave@example.com' });
    expect(match).toEqual({ conversationId: 2, rule: 'header-token' });
  });

  it('uses the subject token when the sender took part in that conversation', () => {
    expect(find({ subject: 'RE: Your order [#AAAA2222]' })).toEqual({ conversationId: 1, rule: 'subject-token' });
    expect(find({ subject: 'AW: x [#aaaa2222]', fromAddress: 'Carols-Boss@example.com' })?.conversationId).toBe(1);
  });

  it("never threads into another customer's conversation by subject token alone", () => {
    expect(find({ subject: 'Re: Your order [#BBBB3333]', fromAddress: 'carol@example.com' })).toBeNull();
    expect(find({ subject: 'Re: [#BBBB3333]', fromAddress: null })).toBeNull();
  });

  it('lets no rule thread a stranger into a conversation: their mail starts its own', () => {
    const stranger = { fromAddress: 'mallory@evil.test' };
    expect(find({ ...stranger, inReplyTo: '<c1-second@example.com>' })).toBeNull();
    expect(find({ ...stranger, references: ['<c1-first@example.com>', '<c1-second@example.com>'] })).toBeNull();
    expect(find({ ...stranger, references: ['<aux.AAAA2222.k2j3h4@acme.test>'] })).toBeNull();
    expect(find({ ...stranger, inReplyTo: '<aux.AAAA2222.k2j3h4@acme.test>', subject: 'Re: [#AAAA2222]' })).toBeNull();
    expect(find({ fromAddress: null, inReplyTo: '<c1-second@example.com>' })).toBeNull();
  });

  it('skips a referenced conversation the sender is not part of for one they are part of', () => {
    expect(find({ fromAddress: 'dave@example.com', inReplyTo: '<c1-second@example.com>', references: ['<c2-first@example.com>'] })).toEqual({
      conversationId: 2,
      rule: 'references',
    });
  });

  it("counts the channel's own addresses as participants (another agent, the Sent folder)", () => {
    expect(find({ fromAddress: 'Support@Acme.test', inReplyTo: '<c1-second@example.com>' })).toEqual({ conversationId: 1, rule: 'in-reply-to' });
  });

  it('takes the last subject token when an older one is quoted before it', () => {
    expect(tokenInSubject('Fwd: [#BBBB3333] Re: thing [#AAAA2222]')).toBe('AAAA2222');
  });

  it('attaches a bounce to the conversation of the message it reports on', () => {
    const match = find({ subject: 'Undelivered Mail', fromAddress: 'mailer-daemon@mx.test', bounceOf: ['<c1-second@example.com>'] });
    expect(match).toEqual({ conversationId: 1, rule: 'bounce' });
    const byToken = find({ fromAddress: 'mailer-daemon@mx.test', bounceOf: ['<aux.AAAA2222.zz@acme.test>'] });
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
