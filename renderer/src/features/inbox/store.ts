import { create } from 'zustand';
import type { ConversationStatus, ConversationSummary, InboxView } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { invoke, onEvent } from '../../lib/api';
import { notifyNewConversations } from './notify';

export interface InboxFilters {
  view: InboxView;
  status: ConversationStatus | null;
  channelId: string | null;
  query: string;
}

export interface InboxCounts {
  mine: number;
  unassigned: number;
  all: number;
}

const PAGE = 100;
/** The most a live refresh asks for at once (the contract's page limit). */
const REFRESH_MAX = 500;

/**
 * The conversation list and the sidebar counts. The list holds only the pages scrolled to so far
 * (keyset paging with `nextCursor`); `conversations:changed` refreshes the counts and the loaded
 * head of the list, coalesced so a burst of new mail costs one round trip, not one per message.
 */
export interface InboxState {
  filters: InboxFilters;
  items: ConversationSummary[];
  nextCursor: string | null;
  total: number;
  /** True while the first page for the current filters is on its way. */
  loading: boolean;
  loadingMore: boolean;
  error: AppError | null;
  counts: InboxCounts | null;

  setFilters(patch: Partial<InboxFilters>): void;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  loadCounts(): Promise<void>;
  /** Listen to `conversations:changed`; returns the unsubscribe function. */
  subscribe(): () => void;
  /** Reflect a change this window made (status, assignee, read) without waiting for the event. */
  patchItem(id: number, patch: Partial<ConversationSummary>): void;
  clearError(): void;
}

function listInput(filters: InboxFilters) {
  return {
    view: filters.view,
    status: filters.status ?? undefined,
    channelId: filters.channelId ?? undefined,
    query: filters.query.trim() || undefined,
  };
}

// A response for filters that are no longer current must not overwrite the list.
let generation = 0;
let refreshing: Promise<void> | null = null;
let refreshAgain = false;
let subscribers = 0;
let unsubscribeEvent: (() => void) | null = null;

export const useInboxStore = create<InboxState>()((set, get) => {
  async function refresh(): Promise<void> {
    const gen = generation;
    const { items, filters } = get();
    const limit = Math.min(Math.max(items.length, PAGE), REFRESH_MAX);
    const result = await invoke('conversations:list', { ...listInput(filters), limit });
    if (gen !== generation) return;
    if (!result.ok) {
      set({ error: result.error });
      return;
    }
    const fresh = result.value.items;
    const current = get().items;
    if (current.length <= limit) {
      set({ items: fresh, nextCursor: result.value.nextCursor, total: result.value.total });
      return;
    }
    // Deep in a long list: replace the head, keep the pages below it so the scroll position holds.
    const seen = new Set(fresh.map((c) => c.id));
    const tail = current.slice(limit).filter((c) => !seen.has(c.id));
    set({ items: [...fresh, ...tail], total: result.value.total });
  }

  function scheduleRefresh(): void {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = Promise.all([refresh(), get().loadCounts()])
      .then(() => undefined)
      .finally(() => {
        refreshing = null;
        if (refreshAgain) {
          refreshAgain = false;
          scheduleRefresh();
        }
      });
  }

  return {
    filters: { view: 'all', status: null, channelId: null, query: '' },
    items: [],
    nextCursor: null,
    total: 0,
    loading: true,
    loadingMore: false,
    error: null,
    counts: null,

    setFilters(patch) {
      const filters = { ...get().filters, ...patch };
      const before = get().filters;
      if (
        filters.view === before.view &&
        filters.status === before.status &&
        filters.channelId === before.channelId &&
        filters.query === before.query
      ) {
        return;
      }
      set({ filters });
      void get().reload();
    },

    async reload() {
      const gen = ++generation;
      set({ loading: true, loadingMore: false, error: null });
      const result = await invoke('conversations:list', { ...listInput(get().filters), limit: PAGE });
      if (gen !== generation) return;
      if (result.ok) {
        set({ items: result.value.items, nextCursor: result.value.nextCursor, total: result.value.total, loading: false });
      } else {
        set({ items: [], nextCursor: null, total: 0, loading: false, error: result.error });
      }
    },

    async loadMore() {
      const { nextCursor, loadingMore, loading, filters } = get();
      if (!nextCursor || loadingMore || loading) return;
      const gen = generation;
      set({ loadingMore: true });
      const result = await invoke('conversations:list', { ...listInput(filters), cursor: nextCursor, limit: PAGE });
      if (gen !== generation) return;
      if (!result.ok) {
        set({ loadingMore: false, error: result.error });
        return;
      }
      set(({ items }) => {
        // A conversation that moved up between pages (new mail) must not appear twice.
        const seen = new Set(items.map((c) => c.id));
        return {
          items: [...items, ...result.value.items.filter((c) => !seen.has(c.id))],
          nextCursor: result.value.nextCursor,
          total: result.value.total,
          loadingMore: false,
        };
      });
    },

    async loadCounts() {
      const result = await invoke('conversations:count', {});
      if (result.ok) set({ counts: result.value });
    },

    subscribe() {
      subscribers += 1;
      if (subscribers === 1) {
        const offConversations = onEvent('conversations:changed', ({ created }) => {
          scheduleRefresh();
          // After the refresh, so the notification can name the customer and subject.
          if (created.length > 0) void refreshing?.then(() => notifyNewConversations(created, get().items));
        });
        // "Mine" depends on who the user says they are.
        const offAgents = onEvent('agents:changed', () => scheduleRefresh());
        unsubscribeEvent = () => {
          offConversations();
          offAgents();
        };
      }
      return () => {
        subscribers -= 1;
        if (subscribers === 0) {
          unsubscribeEvent?.();
          unsubscribeEvent = null;
        }
      };
    },

    patchItem(id, patch) {
      set(({ items }) => {
        const index = items.findIndex((c) => c.id === id);
        if (index === -1) return {};
        const next = items.slice();
        next[index] = { ...next[index]!, ...patch };
        return { items: next };
      });
    },

    clearError() {
      set({ error: null });
    },
  };
});
