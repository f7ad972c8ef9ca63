import { useEffect } from 'react';
import { conversationHref, navigate, parseInboxLocation } from '../../lib/router';
import { useComposerStore } from './composer-store';
import { useConversationStore } from './conversation-store';
import { useInboxStore } from './store';

export type ShortcutAction =
  'next' | 'previous' | 'open' | 'reply' | 'reply-all' | 'note' | 'close' | 'unread' | 'delete' | 'spam' | 'search' | 'help' | 'clear';

const KEYS: Record<string, ShortcutAction> = {
  j: 'next',
  k: 'previous',
  o: 'open',
  r: 'reply',
  a: 'reply-all',
  n: 'note',
  e: 'close',
  u: 'unread',
  '#': 'delete',
  '!': 'spam',
  '/': 'search',
  '?': 'help',
  Escape: 'clear',
};

/** Where a key is text, not a command: fields, editable areas, and any open dialog. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('dialog[open]')) return true;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
}

/** The action for a key press, or null when the key is not a shortcut here (typing, modifiers). */
export function shortcutFor(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>): ShortcutAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return null;
  return KEYS[event.key] ?? null;
}

/** The row with focus in the list, if any: o and j/k act from there when nothing is open. */
function focusedRowId(): number | null {
  const id = Number((document.activeElement as HTMLElement | null)?.closest<HTMLElement>('.conv-row')?.dataset.id);
  return Number.isFinite(id) && id > 0 ? id : null;
}

/**
 * The open conversation's store, on the conversation the hash names. Keys can come faster than
 * React renders: the hash already names the next conversation while the store still holds the one
 * before, and a command must act on the one the agent moved to, never on the one they left.
 */
function openConversation(openId: number) {
  const conversation = useConversationStore.getState();
  if (conversation.id !== openId) void conversation.open(openId);
  return useConversationStore.getState();
}

/** The inbox's keyboard triage (see ShortcutsDialog for the list). */
export function useInboxShortcuts(showHelp: () => void): void {
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      // Escape leaves a field (the draft is kept), so the next key is a command again.
      const target = event.target;
      if (event.key === 'Escape' && !event.defaultPrevented && isTyping(target) && target instanceof HTMLElement && !target.closest('dialog[open]')) {
        target.blur();
        return;
      }
      const action = shortcutFor(event);
      if (!action) return;
      const inbox = useInboxStore.getState();
      const composer = useComposerStore.getState();
      // Read at the key press: keys pressed faster than React renders must each step from the last.
      const openId = parseInboxLocation(window.location.hash).conversationId;
      const from = openId ?? focusedRowId();
      switch (action) {
        case 'next':
        case 'previous': {
          const id = inbox.stepFrom(from, action === 'next' ? 1 : -1);
          if (id !== null) navigate(conversationHref(id));
          break;
        }
        case 'open': {
          const id = focusedRowId() ?? inbox.stepFrom(null, 1);
          if (id !== null) navigate(conversationHref(id));
          break;
        }
        case 'reply':
        case 'reply-all':
        case 'note':
          if (openId === null) return;
          composer.setMode(action);
          break;
        case 'close':
          if (inbox.selected.size > 0) void inbox.applyToSelected({ status: 'closed' });
          else if (openId !== null) void openConversation(openId).setStatus('closed');
          else return;
          break;
        case 'unread':
          if (openId === null) return;
          void openConversation(openId).markUnread();
          break;
        case 'delete': {
          // Never without the confirmation; nothing to do where everything is deleted already.
          const ids = inbox.selected.size > 0 ? [...inbox.selected] : openId !== null ? [openId] : [];
          if (ids.length === 0 || inbox.filters.view === 'deleted') return;
          inbox.requestDelete(ids);
          break;
        }
        case 'spam': {
          // In Spam the same key says "Not spam".
          const bin = inbox.filters.view === 'spam' ? null : 'spam';
          if (inbox.filters.view === 'deleted') return;
          if (inbox.selected.size > 0) void inbox.applyToSelected({ bin });
          else if (openId !== null) void openConversation(openId).moveToBin(bin);
          else return;
          break;
        }
        case 'search':
          document.getElementById('inbox-search')?.focus();
          break;
        case 'help':
          showHelp();
          break;
        case 'clear':
          if (inbox.selected.size === 0) return;
          inbox.clearSelection();
          break;
      }
      event.preventDefault();
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [showHelp]);
}
