import { create } from 'zustand';
import type { BulkPatch, ConversationBin, ConversationSummary, InboxCounts, InboxView, StatusFilter } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { invoke, onEvent } from '../../lib/api';
import { conversationHref, inboxViewHref, navigate, parseInboxLocation } from '../../lib/router';
import { notifyCustomerReplies, notifyFailedReplies, notifyNewConversations } from './notify';

export interface InboxFilters {
  view: InboxView;
  /** null shows every status; the default is the work still to do (open and pending). */
  status: StatusFilter | null;
  channelId: string | null;
  query: string;
}

export type { InboxCounts };

/** What the list shows when nothing else was chosen: closed conversations are out of the way, one click off. */
export const DEFAULT_STATUS: StatusFilter = 'active';

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
  /** The multi-selection for bulk actions (ids), and where a shift-click range starts. */
  selected: ReadonlySet<number>;
  anchorId: number | null;
  /** A bulk action is on its way; its failure, when it failed. */
  bulkBusy: boolean;
  bulkError: AppError | null;
  /** Conversations the agent asked to delete: the confirmation dialog is open for them. */
  deleteRequest: number[] | null;

  setFilters(patch: Partial<InboxFilters>): void;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  loadCounts(): Promise<void>;
  /** Listen to `conversations:changed`; returns the unsubscribe function. */
  subscribe(): () => void;
  /** Reflect a change this window made (status, assignee, read) without waiting for the event. */
  patchItem(id: number, patch: Partial<ConversationSummary>): void;
  clearError(): void;

  /** Click on a checkbox or ctrl/cmd-click: one conversation in or out of the selection. */
  toggleSelected(id: number): void;
  /** Shift-click: everything from the anchor to this conversation joins the selection. */
  selectRange(id: number): void;
  selectAll(): void;
  clearSelection(): void;
  /** Applies one change to every selected conversation; the selection is cleared when it worked. */
  applyToSelected(patch: BulkPatch): Promise<boolean>;
  /** Asks the agent to confirm deleting these conversations (nothing is deleted without it). */
  requestDelete(ids: readonly number[]): void;
  cancelDelete(): void;
  /**
   * Deletes, marks as spam, or (null) restores: the rows leave the view at once, and the open
   * conversation, when it was one of them, gives way to the next in the list.
   */
  moveToBin(ids: readonly number[], bin: ConversationBin | null): Promise<AppError | null>;
  /** The conversation shown after `id` in the list (the one before it at the end), to move on to. */
  neighbourOf(id: number): number | null;
  /** The conversation `step` rows away from `id` (or the first one when `id` is not listed). */
  stepFrom(id: number | null, step: 1 | -1): number | null;
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
    filters: { view: 'all', status: DEFAULT_STATUS, channelId: null, query: '' },
    items: [],
    nextCursor: null,
    total: 0,
    loading: true,
    loadingMore: false,
    error: null,
    counts: null,
    selected: new Set(),
    anchorId: null,
    bulkBusy: false,
    bulkError: null,
    deleteRequest: null,

    setFilters(patch) {
      const filters = { ...get().filters, ...patch };
      const before = get().filters;
      if (filters.view === before.view && filters.status === before.status && filters.channelId === before.channelId && filters.query === before.query) {
        return;
      }
      // A selection made in another view would act on rows the agent no longer sees.
      set({ filters, selected: new Set(), anchorId: null });
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
        const offConversations = onEvent('conversations:changed', ({ created, replied = [], failed = [] }) => {
          scheduleRefresh();
          if (created.length === 0 && replied.length === 0 && failed.length === 0) return;
          // After the refresh, so the notification can name the customer and subject.
          void refreshing?.then(async () => {
            const known = get().items;
            const lookup = async (id: number) => {
              const listed = known.find((c) => c.id === id);
              if (listed) return listed;
              // Not in the current view (another view, or filtered out): ask for it, it is one row.
              const result = await invoke('conversations:get-summary', { id });
              return result.ok ? result.value : null;
            };
            if (created.length > 0) notifyNewConversations(created, known);
            if (replied.length > 0) notifyCustomerReplies(replied, await lookup(replied[0]!));
            if (failed.length > 0) notifyFailedReplies(failed, await lookup(failed[0]!));
          });
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

    toggleSelected(id) {
      const selected = new Set(get().selected);
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      set({ selected, anchorId: id });
    },

    selectRange(id) {
      const { items, anchorId } = get();
      const to = items.findIndex((c) => c.id === id);
      const from = anchorId === null ? -1 : items.findIndex((c) => c.id === anchorId);
      if (to === -1) return;
      if (from === -1) {
        get().toggleSelected(id);
        return;
      }
      const selected = new Set(get().selected);
      for (const c of items.slice(Math.min(from, to), Math.max(from, to) + 1)) selected.add(c.id);
      set({ selected });
    },

    selectAll() {
      set({ selected: new Set(get().items.map((c) => c.id)) });
    },

    clearSelection() {
      set({ selected: new Set(), anchorId: null, bulkError: null });
    },

    async applyToSelected(patch) {
      const ids = [...get().selected];
      if (ids.length === 0 || get().bulkBusy) return false;
      set({ bulkBusy: true, bulkError: null });
      const { bin, ...fields } = patch;
      if (bin !== undefined) {
        // Into or out of a bin, the rows leave the view they are in (see moveToBin).
        const error = await get().moveToBin(ids, bin);
        set(error ? { bulkBusy: false, bulkError: error } : { bulkBusy: false, selected: new Set(), anchorId: null });
        return error === null;
      }
      const result = await invoke('conversations:update-many', { ids, patch: fields });
      if (!result.ok) {
        set({ bulkBusy: false, bulkError: result.error });
        return false;
      }
      // Shown at once; the refresh that follows takes rows out of views they no longer belong to.
      set(({ items }) => ({
        bulkBusy: false,
        selected: new Set(),
        anchorId: null,
        items: items.map((c) => (ids.includes(c.id) ? { ...c, ...fields } : c)),
      }));
      scheduleRefresh();
      return true;
    },

    requestDelete(ids) {
      if (ids.length > 0) set({ deleteRequest: [...ids] });
    },

    cancelDelete() {
      set({ deleteRequest: null });
    },

    async moveToBin(ids, bin) {
      const openId = parseInboxLocation(window.location.hash).conversationId;
      const leaving = openId !== null && ids.includes(openId);
      // Chosen before the rows leave: the next conversation not among them.
      const { items } = get();
      const at = leaving ? items.findIndex((c) => c.id === openId) : -1;
      const staying = (c: ConversationSummary) => !ids.includes(c.id);
      const next = at === -1 ? null : (items.slice(at + 1).find(staying) ?? items.slice(0, at).reverse().find(staying) ?? null);
      const result = await invoke('conversations:update-many', { ids: [...ids], patch: { bin } });
      if (!result.ok) return result.error;
      const selected = new Set([...get().selected].filter((id) => !ids.includes(id)));
      set(({ items: current }) => ({ items: current.filter((c) => !ids.includes(c.id)), selected, deleteRequest: null }));
      scheduleRefresh();
      if (leaving && parseInboxLocation(window.location.hash).conversationId === openId) {
        navigate(next === null ? inboxViewHref(get().filters.view) : conversationHref(next.id));
      }
      return null;
    },

    neighbourOf(id) {
      const { items } = get();
      const index = items.findIndex((c) => c.id === id);
      if (index === -1) return null;
      return (items[index + 1] ?? items[index - 1])?.id ?? null;
    },

    stepFrom(id, step) {
      const { items } = get();
      const index = id === null ? -1 : items.findIndex((c) => c.id === id);
      if (index === -1) return items[0]?.id ?? null;
      return items[index + step]?.id ?? null;
    },
  };
});
