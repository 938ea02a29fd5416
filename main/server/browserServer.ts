/**
 * Browser mode: the same renderer and services as the Electron window, over a loopback HTTP server.
 *   /            the built renderer (static files, strict CSP)
 *   /img/...     image renditions by id (token required)
 *   /rpc         the WebSocket RPC transport (token, Host and Origin checked)
 * Bound to 127.0.0.1 only; the per-run token travels in the URL printed to the user.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SimilaApp } from '../app/types';
import { logToConsole, type RpcLogger } from '../rpc/errors';
import { IMAGE_ROUTE_PREFIX, serveImage } from './imageRoute';
import { defaultRendererDir, ensureRendererBuilt } from './rendererBuild';
import { DEFAULT_TIMEOUTS, announcesBody, isAllowedHost, isAllowedOrigin, type ServerTimeouts } from './requestGuards';
import { createRpcSocket } from './rpcSocket';
import { pageHeaders } from './securityHeaders';
import { sendText, serveStatic } from './staticFiles';
import { createToken } from './token';

export const LOOPBACK_HOST = '127.0.0.1';

export interface BrowserServerOptions {
  app: SimilaApp;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Folder of the built renderer; default <repo>/out/renderer, built on first use. */
  rendererDir?: string;
  log?: RpcLogger;
  /** Server time limits; the defaults suit a loopback UI (tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
}

export interface BrowserServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const { app } = options;
  const log = options.log ?? logToConsole;
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  await ensureRendererBuilt(rendererDir);

  const token = createToken();
  let port = 0;
  const rpc = createRpcSocket({ app, token, port: () => port, log });

  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      requestTimeout: timeouts.requestMs,
      // Node requires headersTimeout <= requestTimeout.
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    (request, response) => {
      handleHttp(request, response).catch((error: unknown) => {
        log('An HTTP request failed', error);
        if (!response.headersSent) sendText(response, 500, 'Internal error');
        else response.destroy();
      });
    },
  );
  // Without this listener Node answers "Expect: 100-continue" itself and invites the body we refuse.
  server.on('checkContinue', (request, response) => server.emit('request', request, response));

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (announcesBody(request.headers)) closeAfterAnswer(request, response);
    if (!isAllowedHost(request.headers.host, port)) {
      sendText(response, 421, 'This server only answers to 127.0.0.1');
      return;
    }
    if (!isAllowedOrigin(request.headers.origin, port)) {
      sendText(response, 403, 'Requests from other origins are refused');
      return;
    }
    if (announcesBody(request.headers)) {
      sendText(response, 413, 'This server takes no request bodies');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      sendText(response, 405, 'Method not allowed');
      return;
    }
    const url = new URL(request.url ?? '/', `http://${LOOPBACK_HOST}:${port}`);
    if (url.pathname.startsWith(IMAGE_ROUTE_PREFIX)) {
      await serveImage(request, response, url, { app, token, log });
      return;
    }
    await serveStatic(request, response, rendererDir, url.pathname, pageHeaders(port));
  }

  server.on('upgrade', (request, socket, head) => rpc.handleUpgrade(request, socket, head));
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => refuseClient(error, socket));

  await listen(server, options.port ?? 0);
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${LOOPBACK_HOST}:${port}/?token=${token}`,
    token,
    port,
    close() {
      closing ??= (async () => {
        await rpc.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/**
 * A request with a body we will not read: answer, then close the connection instead of draining the
 * body for keep-alive (Node would read and discard all of it). The short grace lets the answer reach
 * the client before the socket goes.
 */
function closeAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  response.shouldKeepAlive = false;
  response.setHeader('Connection', 'close');
  response.once('finish', () => {
    request.socket.pause();
    setTimeout(() => request.socket.destroy(), 200).unref();
  });
}

/** Malformed, oversized-header or timed-out requests: a status line where the socket still takes one, then close. */
function refuseClient(error: NodeJS.ErrnoException, socket: Duplex): void {
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
    : '400 Bad Request';
  // As Node itself does: a status line only where no response has started on this socket.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), 200).unref();
  } else {
    socket.destroy();
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? Object.assign(new Error(`Port ${port} on ${LOOPBACK_HOST} is already in use; choose another with --port.`), { code: error.code })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
