import { create } from 'zustand';
import type { ConversationDetail, ConversationStatus, Message } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { invoke, onEvent } from '../../lib/api';
import { conversationHref, inboxViewHref, navigate } from '../../lib/router';
import { useInboxStore } from './store';

/**
 * The open conversation. Showing it reads it: `conversations:mark-read` before each fetch (unless
 * the agent marked it unread while reading), `conversations:get` for what is shown. The list row
 * is patched here at once rather than waiting for the change event.
 */
export interface ConversationState {
  id: number | null;
  detail: ConversationDetail | null;
  loading: boolean;
  error: AppError | null;
  /** The last failed action (status, assign, note), shown above the thread. */
  actionError: AppError | null;

  open(id: number | null): Promise<void>;
  subscribe(): () => void;
  /** Closing takes the conversation out of the queue and opens the next one in the list. */
  setStatus(status: ConversationStatus): Promise<void>;
  assign(agentId: number | null): Promise<void>;
  /** Marks the open conversation unread again (it stays open here; opening it anew reads it). */
  markUnread(): Promise<void>;
  addNote(text: string): Promise<AppError | null>;
  /** Put a message the main side returned (a queued reply, a retried one) into the open thread. */
  upsertMessage(message: Message): void;
  /** Take a message out of the open thread (an undone or taken-back reply). */
  removeMessage(id: number): void;
  /** Fetch the open conversation again without showing "Opening…". */
  refresh(): Promise<void>;
  clearActionError(): void;
}

let openGeneration = 0;
/** The agent marked the open conversation unread: fetching it again must not read it. */
let keptUnread = false;

export const useConversationStore = create<ConversationState>()((set, get) => {
  function apply(detail: ConversationDetail): void {
    if (detail.conversation.id !== get().id) return;
    set({ detail });
    useInboxStore.getState().patchItem(detail.conversation.id, detail.conversation);
  }

  async function fetchDetail(id: number, quiet: boolean): Promise<void> {
    const gen = ++openGeneration;
    if (!quiet) set({ loading: true, error: null });
    // A failure here shows through the fetch that follows (it fails the same way).
    if (!keptUnread) await invoke('conversations:mark-read', { id });
    if (gen !== openGeneration || get().id !== id) return;
    const result = await invoke('conversations:get', { id });
    if (gen !== openGeneration || get().id !== id) return;
    if (result.ok) {
      set({ loading: false, error: null });
      apply(result.value);
    } else {
      set({ loading: false, error: result.error, detail: quiet ? get().detail : null });
    }
  }

  return {
    id: null,
    detail: null,
    loading: false,
    error: null,
    actionError: null,

    async open(id) {
      if (id === get().id && (get().detail || get().loading)) return;
      set({ id, detail: null, error: null, actionError: null, loading: id !== null });
      keptUnread = false;
      if (id === null) return;
      useInboxStore.getState().patchItem(id, { unread: false });
      await fetchDetail(id, false);
    },

    subscribe() {
      return onEvent('conversations:changed', ({ ids }) => {
        const id = get().id;
        if (id !== null && ids.includes(id)) void fetchDetail(id, true);
      });
    },

    async setStatus(status) {
      const id = get().id;
      if (id === null) return;
      const inbox = useInboxStore.getState();
      // Chosen before the change: the refresh that follows takes the closed one out of the list.
      const next = status === 'closed' ? inbox.neighbourOf(id) : null;
      const result = await invoke('conversations:set-status', { id, status });
      if (!result.ok) {
        set({ actionError: result.error });
        return;
      }
      apply(result.value);
      if (status === 'closed' && get().id === id) navigate(next === null ? inboxViewHref(inbox.filters.view) : conversationHref(next));
    },

    async assign(agentId) {
      const id = get().id;
      if (id === null) return;
      const result = await invoke('conversations:assign', { id, agentId });
      if (result.ok) apply(result.value);
      else set({ actionError: result.error });
    },

    async markUnread() {
      const id = get().id;
      if (id === null) return;
      // Before the call: its change event refetches the conversation, which must not read it again.
      keptUnread = true;
      const result = await invoke('conversations:update-many', { ids: [id], patch: { unread: true } });
      if (!result.ok) {
        keptUnread = false;
        set({ actionError: result.error });
        return;
      }
      useInboxStore.getState().patchItem(id, { unread: true });
      set(({ detail }) => (detail && detail.conversation.id === id ? { detail: { ...detail, conversation: { ...detail.conversation, unread: true } } } : {}));
    },

    async addNote(text) {
      const id = get().id;
      if (id === null) return null;
      const result = await invoke('conversations:add-note', { id, text });
      if (!result.ok) return result.error;
      const note: Message = result.value;
      set(({ detail }) =>
        detail && detail.conversation.id === id && !detail.messages.some((m) => m.id === note.id)
          ? { detail: { ...detail, messages: [...detail.messages, note] } }
          : {},
      );
      return null;
    },

    upsertMessage(message) {
      set(({ detail }) => {
        if (!detail || detail.conversation.id !== message.conversationId) return {};
        const index = detail.messages.findIndex((m) => m.id === message.id);
        const messages = detail.messages.slice();
        if (index === -1) messages.push(message);
        else messages[index] = message;
        return { detail: { ...detail, messages } };
      });
    },

    removeMessage(id) {
      set(({ detail }) =>
        detail && detail.messages.some((m) => m.id === id) ? { detail: { ...detail, messages: detail.messages.filter((m) => m.id !== id) } } : {},
      );
    },

    async refresh() {
      const id = get().id;
      if (id !== null) await fetchDetail(id, true);
    },

    clearActionError() {
      set({ actionError: null });
    },
  };
});
