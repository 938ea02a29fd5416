// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../../renderer/src/rpc/createClient';
import { TOKEN_STORAGE_KEY } from '../../../renderer/src/rpc/browserToken';

class OpeningSocket {
  static urls: string[] = [];
  readyState = 0;
  private listeners: Record<string, Array<() => void>> = {};
  constructor(url: string) {
    OpeningSocket.urls.push(url);
    setTimeout(() => {
      this.readyState = 1;
      for (const listener of this.listeners.open ?? []) listener();
    }, 0);
  }
  addEventListener(type: string, listener: () => void) {
    (this.listeners[type] ??= []).push(listener);
  }
  send() {}
  close() {}
}

afterEach(() => {
  vi.unstubAllGlobals();
  delete window.simila;
  sessionStorage.clear();
  OpeningSocket.urls = [];
});

describe('createClient', () => {
  it('uses the preload facade when Electron put one there', async () => {
    window.simila = { call: async () => ({ ok: true, value: 1 }), onEvent: () => () => {} };
    vi.stubGlobal('WebSocket', OpeningSocket);
    const client = await createClient();
    expect(client.mode).toBe('electron');
    expect(OpeningSocket.urls).toEqual([]);
  });

  it('otherwise connects the WebSocket with the token from the address, then hides it', async () => {
    vi.stubGlobal('WebSocket', OpeningSocket);
    window.history.replaceState(null, '', '/?token=secret123');
    const client = await createClient();
    expect(client.mode).toBe('browser');
    expect(OpeningSocket.urls).toEqual([`ws://${window.location.host}/rpc?token=secret123`]);
    expect(window.location.search).toBe('');
    expect(sessionStorage.getItem(TOKEN_STORAGE_KEY)).toBe('secret123');
    expect(client.imageUrl(3, 'thumb')).toBe('/img/thumb/3?token=secret123');
  });
});
