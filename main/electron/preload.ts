/**
 * Sandboxed preload: exposes exactly `window.simila = { call, onEvent }` through contextBridge.
 * No ipcRenderer, no Node: the page can only make contract calls (which main validates) and hear
 * events. Built as CommonJS because sandboxed preloads cannot be ES modules.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { PreloadFacade, RpcResult } from '../../shared/rpc/contract';
import { IPC_EVENT, IPC_RPC } from './ipcChannels';

const facade: PreloadFacade = {
  call(channel, payload) {
    return ipcRenderer.invoke(IPC_RPC, String(channel), payload) as Promise<RpcResult<unknown>>;
  },
  onEvent(listener) {
    const forward = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (typeof name === 'string') listener(name, payload);
    };
    ipcRenderer.on(IPC_EVENT, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, forward);
    };
  },
};

contextBridge.exposeInMainWorld('simila', facade);
