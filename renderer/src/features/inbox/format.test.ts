import { describe, expect, it } from 'vitest';
import { displayName, formatAddress, formatSize, shortTime, splitQuoted } from './format';

describe('inbox formatting', () => {
  it('shows the time for today and the day otherwise', () => {
    const now = new Date('2026-11-26T15:00:00');
    expect(shortTime('2026-11-26T09:05:00', now)).toMatch(/09|9/);
    expect(shortTime('2026-11-20T09:05:00', now)).toMatch(/20/);
    expect(shortTime('2024-01-02T09:05:00', now)).toMatch(/2024/);
    expect(shortTime('not a date', now)).toBe('');
  });

  it('formats sizes for people', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(48_213)).toBe('47 KB');
    expect(formatSize(20 * 1024 * 1024)).toBe('20.0 MB');
  });

  it('names people by name, falling back to the address', () => {
    expect(formatAddress({ name: 'Ada', address: 'ada@example.com' })).toBe('Ada <ada@example.com>');
    expect(formatAddress({ name: '', address: 'ada@example.com' })).toBe('ada@example.com');
    expect(displayName({ name: '', address: '' })).toBe('(unknown sender)');
  });
});

describe('splitQuoted', () => {
  it('separates the quoted history below a reply, with its attribution line', () => {
    const text =
      'Thanks, that worked!\n\nCarol\n\nOn Tue, 1 Dec 2026 at 10:00, Acme Support <support@acme.test> wrote:\n> Try turning it off and on.\n>\n> -- \n> Acme';
    expect(splitQuoted(text)).toEqual({
      body: 'Thanks, that worked!\n\nCarol',
      quoted: 'On Tue, 1 Dec 2026 at 10:00, Acme Support <support@acme.test> wrote:\n> Try turning it off and on.\n>\n> -- \n> Acme',
    });
  });

  it('takes an attribution wrapped over two lines, and an Original Message divider', () => {
    expect(splitQuoted('Yes.\n\nOn Tue, 1 Dec 2026, Acme Support\n<support@acme.test> wrote:\n> Shall we?').body).toBe('Yes.');
    expect(splitQuoted('See below.\n\n-----Original Message-----\nFrom: Acme\nSubject: Hi\n\nOld text').body).toBe('See below.');
  });

  it('keeps answers written between quotes, and a message that is only a quote', () => {
    const inline = '> Which size?\nLarge.\n> Which colour?\nBlue.';
    expect(splitQuoted(inline)).toEqual({ body: inline, quoted: '' });
    expect(splitQuoted('> only quoted\n> text')).toEqual({ body: '> only quoted\n> text', quoted: '' });
    expect(splitQuoted('No quotes at all.')).toEqual({ body: 'No quotes at all.', quoted: '' });
  });
});
