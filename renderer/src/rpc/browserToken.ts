/**
 * The browser-mode token arrives once in the address (?token=...). It is moved out of the address
 * bar at once (so it is not bookmarked, shared or shown) and kept in sessionStorage, which lives as
 * long as the tab: a reload still works, a new tab needs the printed URL again.
 */
export const TOKEN_STORAGE_KEY = 'simila.token';

export interface TokenEnvironment {
  location: { pathname: string; search: string; hash: string };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  /** null when storage is unavailable (e.g. disabled by policy). */
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | null;
}

export function takeToken(env: TokenEnvironment): string | null {
  const params = new URLSearchParams(env.location.search);
  const fromAddress = params.get('token');
  if (fromAddress) {
    try {
      env.storage?.setItem(TOKEN_STORAGE_KEY, fromAddress);
    } catch {
      // Without storage a reload will need the printed URL again; the app still runs now.
    }
    params.delete('token');
    const query = params.toString();
    env.history.replaceState(env.history.state, '', `${env.location.pathname}${query ? `?${query}` : ''}${env.location.hash}`);
    return fromAddress;
  }
  try {
    return env.storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

export function rpcSocketUrl(location: { protocol: string; host: string }, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/rpc?token=${encodeURIComponent(token)}`;
}

export function browserImageUrl(token: string) {
  return (id: number, variant: 'thumb' | 'full'): string => `/img/${variant}/${id}?token=${encodeURIComponent(token)}`;
}
