import { z } from 'zod';
import type { Address } from './conversation';

/**
 * The To, Cc and Bcc an agent types into the composer: "Name <address>" or bare addresses,
 * separated by commas or semicolons. The same schema checks them in the composer and again on the
 * main side before anything is queued.
 */

/** More than this on one reply is not a support reply any more; the server would refuse it too. */
export const MAX_RECIPIENTS = 50;

export const recipientSchema = z.object({
  name: z.string().max(200),
  address: z
    .string()
    .trim()
    .pipe(z.email({ error: (issue) => `“${String(issue.input)}” is not an email address. Write it like name@example.com.` })),
});

export const recipientListSchema = z.array(recipientSchema).max(MAX_RECIPIENTS, `At most ${MAX_RECIPIENTS} recipients`);

export const chosenRecipientsSchema = z.object({
  to: recipientListSchema,
  cc: recipientListSchema,
  bcc: recipientListSchema,
});
export type ChosenRecipients = z.infer<typeof chosenRecipientsSchema>;

/** Splits on commas and semicolons outside quotes and angle brackets ("Doe, Jane" <j@x> stays one). */
function splitList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (const ch of text) {
    if (ch === '"' && !angled) quoted = !quoted;
    else if (ch === '<' && !quoted) angled = true;
    else if (ch === '>' && !quoted) angled = false;
    if ((ch === ',' || ch === ';' || ch === '\n') && !quoted && !angled) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** One entry: `Name <address>`, `"Name" <address>`, `<address>` or `address`. */
function parseOne(entry: string): Address {
  const angled = /^(.*)<([^<>]*)>\s*$/.exec(entry);
  if (!angled) return { name: '', address: entry.trim() };
  const name = angled[1]!
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  return { name, address: angled[2]!.trim() };
}

/** The addresses of a typed list, or the first problem in words. Nothing typed is an empty list. */
export function parseRecipientList(text: string): { ok: true; value: Address[] } | { ok: false; error: string } {
  const parsed = recipientListSchema.safeParse(splitList(text).map(parseOne));
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: parsed.error.issues[0]?.message ?? 'Check the addresses' };
}

/** The list as the composer shows it for editing: `Name <address>`, quoted when the name has a comma. */
export function formatRecipientList(addresses: readonly Address[]): string {
  return addresses
    .map(({ name, address }) => {
      const clean = name.replace(/["<>]/g, '').trim();
      if (!clean) return address;
      return /[,;]/.test(clean) ? `"${clean}" <${address}>` : `${clean} <${address}>`;
    })
    .join(', ');
}
