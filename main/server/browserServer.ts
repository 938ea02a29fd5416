/**
 * Browser mode: the same renderer and services as the Electron window, over a loopback HTTP server.
 *   /            the built renderer (static files, strict CSP)
 *   /img/...     image renditions by id (token required)
 *   /rpc         the WebSocket RPC transport (token, Host and Origin checked)
 * Bound to 127.0.0.1 only; the per-run token travels in the URL printed to the user.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimilaApp } from '../app/types';
import { logToConsole, type RpcLogger } from '../rpc/errors';
import { IMAGE_ROUTE_PREFIX, serveImage } from './imageRoute';
import { defaultRendererDir, ensureRendererBuilt } from './rendererBuild';
import { isAllowedHost } from './requestGuards';
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

  const server = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      log('An HTTP request failed', error);
      if (!response.headersSent) sendText(response, 500, 'Internal error');
      else response.destroy();
    });
  });

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isAllowedHost(request.headers.host, port)) {
      sendText(response, 421, 'This server only answers to 127.0.0.1');
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
  server.on('clientError', (_error, socket) => socket.destroy());

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
