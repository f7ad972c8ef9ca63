import { describe, expect, it } from 'vitest';
import { ftsQuery } from './fts';

describe('ftsQuery', () => {
  it('quotes every word and matches it as a prefix', () => {
    expect(ftsQuery('  invoice  refu ')).toBe('"invoice"* "refu"*');
  });

  it('neutralises FTS syntax typed by a person', () => {
    expect(ftsQuery('"unbalanced OR NEAR( subject:x * -y')).toBe('"unbalanced"* "OR"* "NEAR("* "subject:x"* "-y"*');
  });

  it('returns null when nothing searchable is left', () => {
    expect(ftsQuery('  " * ( ) ')).toBeNull();
    expect(ftsQuery('')).toBeNull();
    expect(ftsQuery('😀 🎉')).toBeNull();
  });

  it('takes control characters such as NUL as word breaks', () => {
    expect(ftsQuery('inv\u0000oice\u0007x')).toBe('"inv"* "oice"* "x"*');
  });
});
