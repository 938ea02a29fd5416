// Reconnection and backoff of the browser transport, with scripted sockets and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebSocketClient, type SocketLike } from '../../../renderer/src/rpc/wsTransport';

type Listener = (event: { data?: unknown }) => void;

class ScriptedSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  private listeners = new Map<string, Listener[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  drop(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire('close', {});
  }
  receive(frame: unknown): void {
    this.fire('message', { data: JSON.stringify(frame) });
  }
  private fire(type: string, event: { data?: unknown }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

let sockets: ScriptedSocket[];
beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: delays are exactly the backoff
  sockets = [];
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function makeClient() {
  return createWebSocketClient({
    url: 'ws://127.0.0.1:1/rpc?token=t',
    createSocket: (url) => {
      const socket = new ScriptedSocket(url);
      sockets.push(socket);
      return socket;
    },
    imageUrl: () => '',
    retryMs: 100,
    maxRetryMs: 400,
  });
}

describe('WebSocket client reconnection', () => {
  it('reconnects with doubling backoff up to the ceiling and resets after success', async () => {
    const client = makeClient();
    sockets[0]?.drop();
    expect(await client.ready).toBe(false);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        await vi.advanceTimersByTimeAsync(10);
        waited += 10;
      }
      delays.push(waited);
      if (attempt < 5) sockets.at(-1)?.drop();
    }
    expect(delays).toEqual([100, 200, 400, 400, 400]);
    sockets.at(-1)?.open();
    expect(client.isConnected()).toBe(true);
    sockets.at(-1)?.drop();
    const before = sockets.length;
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets.length).toBe(before + 1);
    client.close();
  });

  it('holds calls made while connecting and sends them once open', async () => {
    const client = makeClient();
    const answer = client.call('jobs.list', {});
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets[0]?.sent).toEqual([]);
    sockets[0]?.open();
    await vi.advanceTimersByTimeAsync(0);
    const request = JSON.parse(sockets[0]?.sent[0] ?? '{}') as { id: number; channel: string };
    expect(request.channel).toBe('jobs.list');
    sockets[0]?.receive({ kind: 'result', id: request.id, result: { ok: true, value: [] } });
    await expect(answer).resolves.toEqual([]);
    client.close();
  });

  it('rejects pending calls on close, fails fast while down, then works after reconnecting', async () => {
    const client = makeClient();
    sockets[0]?.open();
    const pending = client.call('app.info', {});
    await vi.advanceTimersByTimeAsync(0);
    const outcome = expect(pending).rejects.toMatchObject({ name: 'RpcCallError', code: 'disconnected' });
    sockets[0]?.drop();
    await outcome;
    await expect(client.call('app.info', {})).rejects.toMatchObject({ code: 'disconnected' });
    const events: unknown[] = [];
    client.on('library.changed', (payload) => events.push(payload));
    await vi.advanceTimersByTimeAsync(100);
    sockets[1]?.open();
    sockets[1]?.receive({ kind: 'event', event: 'library.changed', payload: { added: 1, folderIds: [] } });
    sockets[1]?.receive('garbage');
    expect(events).toEqual([{ added: 1, folderIds: [] }]);
    const again = client.call('jobs.list', {});
    await vi.advanceTimersByTimeAsync(0);
    const { id } = JSON.parse(sockets[1]?.sent[0] ?? '{}') as { id: number };
    sockets[1]?.receive({ kind: 'result', id, result: { ok: false, code: 'busy', message: 'Later.' } });
    await expect(again).rejects.toMatchObject({ code: 'busy', message: 'Later.' });
    client.close();
  });

  it('stops reconnecting once closed', async () => {
    const client = makeClient();
    sockets[0]?.open();
    client.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    await expect(client.call('app.info', {})).rejects.toMatchObject({ code: 'disconnected' });
  });
});
