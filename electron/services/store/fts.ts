/**
 * Turns what a person types into an FTS5 query. Every word becomes a quoted prefix term, so FTS
 * syntax in the input (quotes, AND/OR/NEAR, column filters, stars, parentheses) is searched for as
 * text instead of being interpreted, and results appear while the last word is still being typed.
 * Returns null when nothing searchable is left (only punctuation).
 */
export function ftsQuery(input: string): string | null {
  const terms = input
    .split(/\s+/)
    .map((word) => word.replaceAll('"', ''))
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, 32)
    .map((word) => `"${word}"*`);
  return terms.length === 0 ? null : terms.join(' ');
}

export function participantsText(addresses: readonly { name: string; address: string }[]): string {
  return addresses.map((a) => `${a.name} ${a.address}`.trim()).join(' ');
}
