/**
 * The client over the loopback WebSocket of browser mode. It reconnects with backoff when the
 * socket drops; calls in flight at that moment are rejected with code 'disconnected' (the server
 * may or may not have run them, so only the caller can decide to retry).
 */
import type { EventFrame, ResultFrame } from '@shared/rpc/contract';
import { createEventHub } from './eventHub';
import { RpcCallError, type SimilaClient } from './types';

/** What this transport needs of a socket: the browser's WebSocket (and the `ws` package in tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: { data?: unknown }) => void): void;
}

export interface WebSocketClientOptions {
  /** ws://host:port/rpc?token=... */
  url: string;
  createSocket: (url: string) => SocketLike;
  imageUrl: SimilaClient['imageUrl'];
  /** First retry delay and ceiling of the doubling backoff. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface WebSocketClient extends SimilaClient {
  /** Settles after the first connection attempt: true when it opened. */
  readonly ready: Promise<boolean>;
  isConnected(): boolean;
  /** Stops reconnecting and rejects whatever is pending. */
  close(): void;
}

const OPEN = 1;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export function createWebSocketClient(options: WebSocketClientOptions): WebSocketClient {
  const retryMs = options.retryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  const hub = createEventHub();
  const pending = new Map<number, Pending>();
  let waitingForOpen: Array<{ resolve(): void; reject(error: Error): void }> = [];
  let socket: SocketLike | null = null;
  let nextId = 1;
  let failures = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let settleReady: (opened: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    settleReady = resolve;
  });

  const disconnected = () => new RpcCallError('disconnected', 'Lost the connection to Simila; it is reconnecting, try again in a moment.');

  function connect(): void {
    retryTimer = null;
    let current: SocketLike;
    try {
      current = options.createSocket(options.url);
    } catch {
      settleReady(false);
      scheduleRetry();
      return;
    }
    socket = current;
    current.addEventListener('open', () => {
      failures = 0;
      settleReady(true);
      const waiters = waitingForOpen;
      waitingForOpen = [];
      for (const waiter of waiters) waiter.resolve();
    });
    current.addEventListener('message', (event) => {
      if (typeof event.data === 'string') receive(event.data);
    });
    // An 'error' is always followed by 'close'; that is where the state changes.
    current.addEventListener('error', () => {});
    current.addEventListener('close', () => {
      if (socket !== current) return;
      socket = null;
      settleReady(false);
      failAll(disconnected());
      if (!closed) scheduleRetry();
    });
  }

  function scheduleRetry(): void {
    const base = Math.min(maxRetryMs, retryMs * 2 ** failures);
    failures += 1;
    // Jitter keeps several tabs from reconnecting in lock step.
    retryTimer = setTimeout(connect, base * (0.75 + Math.random() * 0.5));
  }

  function failAll(error: Error): void {
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
    const waiters = waitingForOpen;
    waitingForOpen = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  function receive(text: string): void {
    let frame: ResultFrame | EventFrame;
    try {
      frame = JSON.parse(text) as ResultFrame | EventFrame;
    } catch {
      return;
    }
    if (frame?.kind === 'event' && typeof frame.event === 'string') {
      hub.emit(frame.event, frame.payload);
      return;
    }
    if (frame?.kind !== 'result' || typeof frame.result !== 'object' || frame.result === null) return;
    const entry = pending.get(frame.id);
    if (!entry) return;
    pending.delete(frame.id);
    const { result } = frame;
    if (result.ok) entry.resolve(result.value);
    else entry.reject(new RpcCallError(result.code, result.message));
  }

  /** Waits for the socket being opened right now; fails at once while waiting out a backoff. */
  function whenOpen(): Promise<SocketLike> {
    if (closed) return Promise.reject(new RpcCallError('disconnected', 'This Simila client was closed.'));
    if (socket && socket.readyState === OPEN) return Promise.resolve(socket);
    if (!socket) return Promise.reject(disconnected());
    return new Promise<void>((resolve, reject) => waitingForOpen.push({ resolve, reject })).then(() => whenOpen());
  }

  connect();

  return {
    mode: 'browser',
    ready,
    isConnected: () => socket !== null && socket.readyState === OPEN,
    async call(channel, request) {
      const open = await whenOpen();
      const id = nextId++;
      const answer = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      open.send(JSON.stringify({ kind: 'request', id, channel, payload: request }));
      return answer as never;
    },
    on: hub.on,
    imageUrl: options.imageUrl,
    close() {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      const current = socket;
      socket = null;
      settleReady(false);
      failAll(new RpcCallError('disconnected', 'This Simila client was closed.'));
      current?.close(1000, 'client closed');
    },
  };
}
