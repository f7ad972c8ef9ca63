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
