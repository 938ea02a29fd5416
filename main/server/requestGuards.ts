/**
 * Which Host and Origin headers the loopback server answers to. Checking Host defeats DNS
 * rebinding (a web page whose name suddenly points at 127.0.0.1); checking Origin keeps other
 * pages in the user's browser from opening our RPC socket even if they learnt the token.
 */
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
