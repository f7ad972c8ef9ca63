import { describe, expect, it } from 'vitest';
import { displayName, formatAddress, formatSize, shortTime } from './format';

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
