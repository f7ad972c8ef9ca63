import { useEffect } from 'react';
import { create } from 'zustand';
import type { Agent } from '../../../../shared/conversation';
import type { AppError } from '../../../../shared/errors';
import { invoke, onEvent } from '../../lib/api';

/**
 * Agents and "who am I", shared by Settings, the inbox (assignee names, "Me") and the channel
 * dialog (round-robin agents). Refreshed on `agents:changed`, so every open screen stays in step.
 */
export interface SettingsState {
  agents: Agent[];
  meAgentId: number | null;
  loaded: boolean;
  error: AppError | null;

  load(): Promise<void>;
  subscribe(): () => void;
  saveAgent(values: { id?: number; name: string; email: string }): Promise<AppError | null>;
  deleteAgent(id: number): Promise<AppError | null>;
  setMe(agentId: number | null): Promise<AppError | null>;
  /** The agent's own signature, above the channel's on their replies. */
  setSignature(agentId: number, signature: string): Promise<AppError | null>;
  clearError(): void;
}

let subscribers = 0;
let unsubscribeEvent: (() => void) | null = null;

export const useSettingsStore = create<SettingsState>()((set, get) => ({
  agents: [],
  meAgentId: null,
  loaded: false,
  error: null,

  async load() {
    const [agents, settings] = await Promise.all([invoke('agents:list', {}), invoke('settings:get', {})]);
    if (agents.ok) set({ agents: agents.value });
    if (settings.ok) set({ meAgentId: settings.value.meAgentId });
    const failed = !agents.ok ? agents.error : !settings.ok ? settings.error : null;
    set({ loaded: true, error: failed });
  },

  subscribe() {
    // Several screens use agents at once; one event listener serves them all.
    subscribers += 1;
    if (subscribers === 1) unsubscribeEvent = onEvent('agents:changed', () => void get().load());
    return () => {
      subscribers -= 1;
      if (subscribers === 0) {
        unsubscribeEvent?.();
        unsubscribeEvent = null;
      }
    };
  },

  async saveAgent(values) {
    const result = await invoke('agents:save', values);
    if (!result.ok) return result.error;
    set(({ agents }) => {
      const index = agents.findIndex((a) => a.id === result.value.id);
      if (index === -1) return { agents: [...agents, result.value] };
      const next = agents.slice();
      next[index] = result.value;
      return { agents: next };
    });
    return null;
  },

  async setSignature(agentId, signature) {
    const result = await invoke('agents:set-signature', { id: agentId, signature });
    if (!result.ok) return result.error;
    set(({ agents }) => ({ agents: agents.map((a) => (a.id === agentId ? result.value : a)) }));
    return null;
  },

  async deleteAgent(id) {
    const result = await invoke('agents:delete', { id });
    if (!result.ok) {
      set({ error: result.error });
      return result.error;
    }
    set(({ agents, meAgentId }) => ({ agents: agents.filter((a) => a.id !== id), meAgentId: meAgentId === id ? null : meAgentId }));
    return null;
  },

  async setMe(agentId) {
    const result = await invoke('settings:set-me', { agentId });
    if (!result.ok) {
      set({ error: result.error });
      return result.error;
    }
    set({ meAgentId: result.value.meAgentId });
    return null;
  },

  clearError() {
    set({ error: null });
  },
}));

/** Loads agents and settings, and keeps them current while the calling component is mounted. */
export function useSettingsLive(): void {
  useEffect(() => {
    const { load, subscribe } = useSettingsStore.getState();
    const unsubscribe = subscribe();
    void load();
    return unsubscribe;
  }, []);
}

/** "Ada Lovelace (Me)" for the chosen agent, so people see who they are in every list. */
export function agentLabel(agent: Agent, meAgentId: number | null): string {
  return agent.id === meAgentId ? `${agent.name} (Me)` : agent.name;
}
