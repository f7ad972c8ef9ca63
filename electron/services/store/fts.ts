/**
 * Turns what a person types into an FTS5 query. Every word becomes a quoted prefix term, so FTS
 * syntax in the input (quotes, AND/OR/NEAR, column filters, stars, parentheses) is searched for as
 * text instead of being interpreted, and results appear while the last word is still being typed.
 * Control characters (a pasted NUL, say) separate words: FTS5 cannot take them inside a term.
 * Returns null when nothing searchable is left (only punctuation or emoji, which the index never
 * holds): the caller then finds nothing, not everything.
 */
export function ftsQuery(input: string): string | null {
  const terms = input
    .split(/[\s\p{Cc}]+/u)
    .map((word) => word.replaceAll('"', ''))
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, 32)
    .map((word) => `"${word}"*`);
  return terms.length === 0 ? null : terms.join(' ');
}

export function participantsText(addresses: readonly { name: string; address: string }[]): string {
  return addresses.map((a) => `${a.name} ${a.address}`.trim()).join(' ');
}
