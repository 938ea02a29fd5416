/**
 * Which Host and Origin headers the loopback server answers to. Checking Host defeats DNS
 * rebinding (a web page whose name suddenly points at 127.0.0.1); checking Origin keeps other
 * pages in the user's browser from opening our RPC socket even if they learnt the token.
 */
import type { IncomingHttpHeaders } from 'node:http';

export function ownOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

export function isAllowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** Browsers always send Origin on WebSocket handshakes; its absence means a non-browser client. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return origin === undefined || ownOrigins(port).includes(origin);
}

/**
 * Nothing the browser server serves takes a request body (uploads travel as RPC frames on the
 * socket, which has its own frame limit): a request that announces one is refused before any of
 * it is read, whatever its size, rather than drained or buffered.
 */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * Server-side time limits (milliseconds). Node's defaults (60 s for headers, 300 s per request,
 * checked every 30 s) let a slow-loris client hold a connection for minutes; requests here are tiny
 * GETs from the same machine, so much tighter limits cost nothing.
 */
export interface ServerTimeouts {
  /** Time to receive the complete request headers. */
  headersMs: number;
  /** Time to receive the complete request. */
  requestMs: number;
  /** Idle time of a keep-alive connection between requests. */
  keepAliveMs: number;
  /** How often Node checks the two limits above (their resolution). */
  checkIntervalMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 };
