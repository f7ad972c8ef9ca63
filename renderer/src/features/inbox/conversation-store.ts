import { create } from 'zustand';
import type { ConversationDetail, ConversationStatus, Message } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { invoke, onEvent } from '../../lib/api';
import { useInboxStore } from './store';

/**
 * The open conversation. `conversations:get` marks it read on the main side; the list row is
 * patched here at once rather than waiting for the change event.
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
  setStatus(status: ConversationStatus): Promise<void>;
  assign(agentId: number | null): Promise<void>;
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

export const useConversationStore = create<ConversationState>()((set, get) => {
  function apply(detail: ConversationDetail): void {
    if (detail.conversation.id !== get().id) return;
    set({ detail });
    useInboxStore.getState().patchItem(detail.conversation.id, detail.conversation);
  }

  async function fetchDetail(id: number, quiet: boolean): Promise<void> {
    const gen = ++openGeneration;
    if (!quiet) set({ loading: true, error: null });
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
      const result = await invoke('conversations:set-status', { id, status });
      if (result.ok) apply(result.value);
      else set({ actionError: result.error });
    },

    async assign(agentId) {
      const id = get().id;
      if (id === null) return;
      const result = await invoke('conversations:assign', { id, agentId });
      if (result.ok) apply(result.value);
      else set({ actionError: result.error });
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
