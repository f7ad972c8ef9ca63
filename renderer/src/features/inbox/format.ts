import type { Address, ConversationStatus, MessageKind } from '../../../../shared/conversation';
import { withoutDirectionControls as shown } from '../../../../shared/display-text';

export { shown };

export const STATUS_LABEL: Record<ConversationStatus, string> = { open: 'Open', pending: 'Pending', closed: 'Closed' };

/** Badges for mail that is not a person writing to us; `normal` has none. */
export const KIND_LABEL: Partial<Record<MessageKind, string>> = {
  'auto-reply': 'Auto-reply',
  bounce: 'Bounce',
  list: 'Mailing list',
  own: 'Sent by us',
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const yearFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Today: the time; this year: the day; older: the date with its year. */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  if (date.toDateString() === now.toDateString()) return timeFormat.format(date);
  if (date.getFullYear() === now.getFullYear()) return dayFormat.format(date);
  return yearFormat.format(date);
}

export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : fullFormat.format(date);
}

/** "just now", "2 minutes ago", "3 hours ago", else the full time: how long ago someone else answered. */
export function timeAgo(iso: string, now = new Date()): string {
  const minutes = Math.floor((now.getTime() - new Date(iso).getTime()) / 60_000);
  if (Number.isNaN(minutes)) return '';
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return `on ${fullTime(iso)}`;
}

/** Names, addresses, subjects and file names from mail go through `shown` before they are displayed. */
export function formatAddress(address: Address): string {
  const name = shown(address.name);
  const email = shown(address.address);
  if (!name) return email;
  if (!email) return name;
  return `${name} <${email}>`;
}

export function displayName(address: Address): string {
  return shown(address.name) || shown(address.address) || '(unknown sender)';
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** "Alice is replying", "Alice and Bob are replying". */
export function replyingText(names: readonly string[]): string {
  const who = names.map((name) => shown(name) || 'Someone');
  if (who.length === 1) return `${who[0]} is replying`;
  return `${who.slice(0, -1).join(', ')} and ${who.at(-1)} are replying`;
}

/** An attribution line that introduces quoted history ("On Tue, 1 Dec 2026, Carol wrote:"). */
export const ATTRIBUTION = /^(?:On\b.+\bwrote:|Am\b.+\bschrieb\b.*:|Le\b.+\ba écrit\s*:|-{2,}\s*Original Message\s*-{2,})\s*$/i;

/**
 * Splits a plain-text message into what the sender wrote and the history they quoted below it:
 * from the first line after which every non-blank line is quoted ("> …"), together with the
 * attribution line just above it; or everything after an "Original Message" divider. Quotes in
 * the middle of a message (answers between quoted lines) stay in the body.
 */
export function splitQuoted(text: string): { body: string; quoted: string } {
  const lines = text.split(/\r?\n/);
  let start = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('>')) {
      if (line.startsWith('>')) start = i;
      continue;
    }
    break;
  }
  // The attribution may wrap over two lines ("On Tue, 1 Dec 2026 at 10:00, Carol Customer\n<carol@…> wrote:").
  for (let back = 1; back <= 3 && start < lines.length; back++) {
    const index = start - back;
    if (index < 0) break;
    const candidate = lines
      .slice(index, start)
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ');
    if (ATTRIBUTION.test(candidate)) {
      start = index;
      break;
    }
  }
  const divider = lines.findIndex((l) => /^-{2,}\s*Original Message\s*-{2,}\s*$/i.test(l.trim()));
  if (divider !== -1 && divider < start) start = divider;
  const body = lines.slice(0, start).join('\n').trimEnd();
  // A message that is all quote (a forward with no words of its own) shows it, rather than nothing.
  if (start >= lines.length || body.trim() === '') return { body: text, quoted: '' };
  return { body, quoted: lines.slice(start).join('\n') };
}
