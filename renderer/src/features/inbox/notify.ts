import type { ConversationSummary } from '../../../../shared/conversation';
import { conversationHref } from '../../lib/router';
import { displayName, shown } from './format';

/**
 * Desktop notifications for new conversations, through the browser's Notification API (Electron
 * implements the same API). Permission is asked only from a click in Settings, never on its own.
 */

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function notificationPermission(): NotificationPermission | 'unsupported' {
  return notificationsSupported() ? Notification.permission : 'unsupported';
}

/** Call from a user gesture (a button click): browsers ignore or penalise unprompted requests. */
export async function requestNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (!notificationsSupported()) return 'unsupported';
  return Notification.requestPermission();
}

/**
 * Shown when the agent is elsewhere: another window or app, or another conversation. The one they
 * are reading shows the change itself.
 */
function agentIsElsewhere(conversationId: number): boolean {
  return document.visibilityState === 'hidden' || !document.hasFocus() || window.location.hash !== conversationHref(conversationId);
}

function show(title: string, body: string, ids: readonly number[], tag: string): void {
  const notification = new Notification(title, { body, tag });
  notification.onclick = () => {
    window.focus();
    if (ids.length === 1) window.location.hash = conversationHref(ids[0]!);
  };
}

function who(c: ConversationSummary): string {
  return `${c.customer.name || c.customer.address}: ${c.subject || '(no subject)'}`;
}

/** A customer wrote again in a conversation that already existed. */
export function notifyCustomerReplies(ids: readonly number[], first: ConversationSummary | null): void {
  if (notificationPermission() !== 'granted' || ids.length === 0) return;
  if (ids.length === 1 && !agentIsElsewhere(ids[0]!)) return;
  const title = ids.length === 1 ? 'New reply from the customer' : `${ids.length} conversations have new replies`;
  show(title, first ? who(first) : '', ids, `reply-${ids[0]}`);
}

/** A reply of ours failed for good: the customer did not get it, and someone has to act. */
export function notifyFailedReplies(ids: readonly number[], first: ConversationSummary | null): void {
  if (notificationPermission() !== 'granted' || ids.length === 0) return;
  if (ids.length === 1 && !agentIsElsewhere(ids[0]!)) return;
  const title = ids.length === 1 ? 'A reply was not sent' : `Replies in ${ids.length} conversations were not sent`;
  show(title, first ? `${who(first)} — open it to retry or edit.` : 'Open Failed replies in the inbox to retry or edit.', ids, `failed-${ids[0]}`);
}

export function notifyNewConversations(ids: readonly number[], known: readonly ConversationSummary[]): void {
  if (notificationPermission() !== 'granted' || ids.length === 0) return;
  const found = ids.map((id) => known.find((c) => c.id === id)).filter((c): c is ConversationSummary => Boolean(c));
  const first = found[0];
  const title = ids.length === 1 ? 'New conversation' : `${ids.length} new conversations`;
  const body = first ? `${displayName(first.customer)}: ${shown(first.subject) || '(no subject)'}` : '';
  const notification = new Notification(title, { body, tag: `conversation-${ids[0]}` });
  notification.onclick = () => {
    window.focus();
    if (ids.length === 1) window.location.hash = conversationHref(ids[0]!);
  };
}
