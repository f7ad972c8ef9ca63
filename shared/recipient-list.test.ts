import { describe, expect, it } from 'vitest';
import { formatRecipientList, parseRecipientList } from './recipient-list';

describe('typed recipient lists', () => {
  it('reads names, bare addresses, quotes with commas and both separators', () => {
    const parsed = parseRecipientList('Carol <carol@example.com>; bob@example.com, "Doe, Jane" <jane@example.com>,');
    expect(parsed).toEqual({
      ok: true,
      value: [
        { name: 'Carol', address: 'carol@example.com' },
        { name: '', address: 'bob@example.com' },
        { name: 'Doe, Jane', address: 'jane@example.com' },
      ],
    });
  });

  it('names the entry that is not an address', () => {
    expect(parseRecipientList('carol@example.com, bob at example')).toEqual({
      ok: false,
      error: '“bob at example” is not an email address. Write it like name@example.com.',
    });
  });

  it('an empty field is an empty list', () => {
    expect(parseRecipientList('  ')).toEqual({ ok: true, value: [] });
  });

  it('formats back to what it reads', () => {
    const list = [
      { name: 'Doe, Jane', address: 'jane@example.com' },
      { name: '', address: 'bob@example.com' },
    ];
    expect(parseRecipientList(formatRecipientList(list))).toEqual({ ok: true, value: list });
  });
});
