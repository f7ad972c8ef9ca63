import { contextBridge, ipcRenderer } from 'electron';
import { channelNames, eventNames, type AuxiliumApi } from '../../shared/contract';

/**
 * Exposes exactly the contract: one invoke per named channel and subscriptions to named events.
 * Neither ipcRenderer nor the IPC event object ever reaches the page.
 */
const api = {
  invoke(channel, input) {
    if (!channelNames.includes(channel)) return Promise.reject(new Error(`Unknown channel ${String(channel)}`));
    return ipcRenderer.invoke(channel, input);
  },
  on(event, listener) {
    if (!eventNames.includes(event)) throw new Error(`Unknown event ${String(event)}`);
    const forward = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
} satisfies AuxiliumApi;

contextBridge.exposeInMainWorld('auxilium', api);
