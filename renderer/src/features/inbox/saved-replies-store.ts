import { create } from 'zustand';
import type { AppError } from '../../../../shared/errors';
import type { SavedReply, SavedReplyInput } from '../../../../shared/saved-replies';
import { invoke, onEvent } from '../../lib/api';

/** The team's saved replies, kept live by `saved-replies:changed`. */
export interface SavedRepliesState {
  replies: SavedReply[];
  loaded: boolean;
  error: AppError | null;
  load(): Promise<void>;
  /** Adds (no id) or changes one; returns the failure, or null. */
  save(input: SavedReplyInput): Promise<AppError | null>;
  remove(id: number): Promise<AppError | null>;
  subscribe(): () => void;
}

/** Saved replies whose name or text holds every word typed, names matching first. */
export function searchSavedReplies(replies: readonly SavedReply[], query: string): SavedReply[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (text: string) => words.every((w) => text.toLowerCase().includes(w));
  const byName = replies.filter((r) => matches(r.name));
  return [...byName, ...replies.filter((r) => !byName.includes(r) && matches(`${r.name} ${r.body}`))];
}

export const useSavedRepliesStore = create<SavedRepliesState>()((set, get) => ({
  replies: [],
  loaded: false,
  error: null,

  async load() {
    const result = await invoke('saved-replies:list', {});
    if (result.ok) set({ replies: result.value, loaded: true, error: null });
    else set({ error: result.error, loaded: true });
  },

  async save(input) {
    const result = await invoke('saved-replies:save', input);
    if (!result.ok) return result.error;
    await get().load();
    return null;
  },

  async remove(id) {
    const result = await invoke('saved-replies:delete', { id });
    if (!result.ok) return result.error;
    set(({ replies }) => ({ replies: replies.filter((r) => r.id !== id) }));
    return null;
  },

  subscribe() {
    void get().load();
    return onEvent('saved-replies:changed', () => void get().load());
  },
}));
