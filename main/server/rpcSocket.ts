/**
 * The WebSocket transport of browser mode: /rpc?token=... on the loopback server. The handshake is
 * refused unless the token, Host and Origin are ours; after that every text frame is a request for
 * the dispatcher and every app event goes to every connected socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ResultFrame } from '../../shared/rpc/contract';
import { MAX_UPLOAD_BYTES } from '../../shared/rpc/contract';
import type { SimilaApp } from '../app/types';
import { createDispatcher } from '../rpc/dispatcher';
import { rpcError, type RpcLogger } from '../rpc/errors';
import { toEventFrame } from '../rpc/eventFrames';
import { parseRequestFrame } from '../rpc/requestFrames';
import { isAllowedHost, isAllowedOrigin } from './requestGuards';
import { tokenMatches } from './token';

export const RPC_PATH = '/rpc';
/**
 * Requests are small JSON objects, except search.byUpload, which carries a file of up to MAX_UPLOAD_BYTES
 * as base64 (4/3 of its size) plus a little JSON around it; anything beyond that is abuse.
 */
export const MAX_FRAME_BYTES = Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 64 * 1024;
/** Requests one socket may have in flight before it is told to slow down. */
export const MAX_IN_FLIGHT = 64;
/** A socket that stopped reading gets no more events rather than growing main's memory. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface RpcSocketOptions {
  app: SimilaApp;
  token: string;
  port: () => number;
  log: RpcLogger;
}

export interface RpcSocket {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  clientCount(): number;
  close(): Promise<void>;
}

export function createRpcSocket(options: RpcSocketOptions): RpcSocket {
  const { app, token, log } = options;
  const dispatcher = createDispatcher(app.handlers, { log });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  const unsubscribe = app.onEvent((event, payload) => {
    if (wss.clients.size === 0) return;
    const frame = toEventFrame(event, payload, log);
    if (frame === null) return;
    const text = JSON.stringify(frame);
    for (const client of wss.clients) {
      if (client.readyState === client.OPEN && client.bufferedAmount < MAX_BUFFERED_BYTES) client.send(text);
    }
  });

  wss.on('connection', (socket: WebSocket) => serveSocket(socket));

  function serveSocket(socket: WebSocket): void {
    let inFlight = 0;
    socket.on('error', (error) => log('An RPC socket failed', error));
    socket.on('message', (data, isBinary) => {
      // Binary frames carry nothing we speak: dropped. Text frames are valid UTF-8 (ws closes the socket otherwise).
      if (isBinary) return;
      let parsed: ReturnType<typeof parseRequestFrame>;
      try {
        parsed = parseRequestFrame(data.toString());
      } catch (error) {
        log('An RPC frame could not be read', error);
        return;
      }
      if (parsed.kind === 'ignore') return;
      if (parsed.kind === 'reply') {
        send(socket, parsed.frame);
        return;
      }
      const { id, channel, payload } = parsed.frame;
      if (inFlight >= MAX_IN_FLIGHT) {
        send(socket, { kind: 'result', id, result: rpcError('busy', 'Too many requests at once; try again in a moment.') });
        return;
      }
      inFlight += 1;
      void dispatcher
        .dispatch(channel, payload, { mode: 'browser' })
        .then((result) => send(socket, { kind: 'result', id, result }))
        .catch((error: unknown) => log('An RPC answer could not be sent', error))
        .finally(() => {
          inFlight -= 1;
        });
    });
  }

  function send(socket: WebSocket, frame: ResultFrame): void {
    if (socket.readyState !== socket.OPEN) return;
    try {
      socket.send(JSON.stringify(frame));
    } catch (error) {
      log('A result could not be sent (is it JSON?)', error);
      try {
        socket.send(JSON.stringify({ kind: 'result', id: frame.id, result: rpcError('internal', 'The answer could not be encoded.') }));
      } catch (again) {
        log('Not even the error could be sent', again);
      }
    }
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const port = options.port();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const allowed =
      url.pathname === RPC_PATH &&
      isAllowedHost(request.headers.host, port) &&
      isAllowedOrigin(request.headers.origin, port) &&
      tokenMatches(token, url.searchParams.get('token'));
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  }

  async function close(): Promise<void> {
    unsubscribe();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return { handleUpgrade, clientCount: () => wss.clients.size, close };
}
