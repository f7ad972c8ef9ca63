import { describe, expect, it } from 'vitest';
import { withoutDirectionControls } from './display-text';

describe('withoutDirectionControls', () => {
  it('removes every direction override, embedding, isolate and mark, and nothing else', () => {
    expect(withoutDirectionControls('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    const all = '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C';
    expect(withoutDirectionControls(`a${all}b`)).toBe('ab');
    expect(withoutDirectionControls('שלום Müller 😀 日本')).toBe('שלום Müller 😀 日本');
  });
});
