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
