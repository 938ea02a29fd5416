/**
 * The renderer's one way to reach the back end. Inside Electron the preload put `window.simila`
 * there; anywhere else this is browser mode and the client talks to the loopback WebSocket.
 * Views only ever see SimilaClient (and `client.mode`).
 */
import type { PreloadFacade } from '@shared/rpc/contract';
import { browserImageUrl, rpcSocketUrl, takeToken } from './browserToken';
import { createElectronClient } from './electronTransport';
import type { SimilaClient } from './types';
import { createWebSocketClient } from './wsTransport';

declare global {
  interface Window {
    /** Set by the Electron preload (contextBridge); absent in browser mode. */
    simila?: PreloadFacade;
  }
}

export async function createClient(): Promise<SimilaClient> {
  if (window.simila) return createElectronClient(window.simila);
  const token = takeToken({ location: window.location, history: window.history, storage: sessionStorageOrNull() }) ?? '';
  const client = createWebSocketClient({
    url: rpcSocketUrl(window.location, token),
    createSocket: (url) => new WebSocket(url),
    imageUrl: browserImageUrl(token),
  });
  // Let the first connection settle so the first calls do not fail needlessly; calls made while
  // it is down still fail fast with 'disconnected' and the client keeps reconnecting.
  await client.ready;
  return client;
}

function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
