import { describe, expect, it } from 'vitest';
import { withCrlf } from './append';

describe('withCrlf', () => {
  it('turns bare LF and bare CR into CRLF and leaves CRLF alone', () => {
    const input = Buffer.from('Subject: x\r\n\r\nline 1\nline 2\rline 3\r\n\n');
    expect(withCrlf(input).toString()).toBe('Subject: x\r\n\r\nline 1\r\nline 2\r\nline 3\r\n\r\n');
  });

  it('keeps every other byte as it is', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x0a, 0xc3, 0xa9, 0x0d, 0x0a, 0x0d]);
    expect([...withCrlf(bytes)]).toEqual([0xff, 0x00, 0x0d, 0x0a, 0xc3, 0xa9, 0x0d, 0x0a, 0x0d, 0x0a]);
  });

  it('returns a message that already has CRLF unchanged', () => {
    const input = Buffer.from('a\r\nb\r\n');
    expect(withCrlf(input)).toBe(input);
  });
});
