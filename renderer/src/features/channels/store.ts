import { create } from 'zustand';
import type { Channel } from '../../../../shared/channel';
import type { AppInfo } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { invoke, onEvent } from '../../lib/api';

/**
 * The channel list as the main side reports it. Fed by `channels:list` on start and by every
 * `channels:changed` event (which carries the whole list), so cards follow connection-state moves
 * without polling. Actions return the error instead of throwing so callers can show it.
 */
export interface ChannelsState {
  channels: Channel[];
  /** True until the first list arrives (or fails). */
  loading: boolean;
  /** The last failure of loading or of a card action, shown on the page in an alert. */
  error: AppError | null;
  /** Keychain status from `app:get-info`; null until known. */
  keychain: AppInfo['keychain'] | null;

  load(): Promise<void>;
  /** Listen to `channels:changed`; returns the unsubscribe function. */
  subscribe(): () => void;
  /** Put a channel the main side returned into the list (create/update answers). */
  upsert(channel: Channel): void;
  setEnabled(id: string, enabled: boolean): Promise<AppError | null>;
  remove(id: string): Promise<AppError | null>;
  /** For a server without a Sent folder: creates one and files copies of replies there. */
  createSentFolder(id: string): Promise<AppError | null>;
  clearError(): void;
}

export const useChannelsStore = create<ChannelsState>()((set, get) => ({
  channels: [],
  loading: true,
  error: null,
  keychain: null,

  async load() {
    set({ loading: get().channels.length === 0 });
    const [list, info] = await Promise.all([invoke('channels:list', {}), invoke('app:get-info', {})]);
    if (list.ok) set({ channels: list.value, loading: false });
    else set({ loading: false, error: list.error });
    if (info.ok) set({ keychain: info.value.keychain });
  },

  subscribe() {
    return onEvent('channels:changed', ({ channels }) => set({ channels, loading: false }));
  },

  upsert(channel) {
    set(({ channels }) => {
      const index = channels.findIndex((c) => c.id === channel.id);
      if (index === -1) return { channels: [...channels, channel] };
      const next = channels.slice();
      next[index] = channel;
      return { channels: next };
    });
  },

  async setEnabled(id, enabled) {
    const result = await invoke('channels:set-enabled', { id, enabled });
    if (!result.ok) {
      set({ error: result.error });
      return result.error;
    }
    get().upsert(result.value);
    return null;
  },

  async remove(id) {
    const result = await invoke('channels:delete', { id });
    if (!result.ok) {
      set({ error: result.error });
      return result.error;
    }
    set(({ channels }) => ({ channels: channels.filter((c) => c.id !== id) }));
    return null;
  },

  async createSentFolder(id) {
    const result = await invoke('channels:create-sent-folder', { id });
    if (!result.ok) {
      set({ error: result.error });
      return result.error;
    }
    get().upsert(result.value);
    return null;
  },

  clearError() {
    set({ error: null });
  },
}));
