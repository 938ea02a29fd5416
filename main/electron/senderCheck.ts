/**
 * Only our own renderer page may call into main. Electron tells us which frame sent an IPC
 * message; we accept it when it is the top frame and its URL is our built index.html (file://)
 * or the dev server's origin (electron-vite dev). Pure, so it is tested without Electron.
 */
export interface RendererLocation {
  /** file:// URL of out/renderer/index.html */
  indexFileUrl: string;
  /** http://localhost:5173/ while developing with electron-vite; undefined in a build */
  devServerUrl?: string;
}

export interface SenderFrame {
  url: string;
  isMainFrame: boolean;
}

export function isTrustedSender(frame: SenderFrame | null | undefined, location: RendererLocation): boolean {
  if (!frame || !frame.isMainFrame) return false;
  return isOwnRendererUrl(frame.url, location);
}

/** Our page, whatever its query or hash (the renderer may route with the hash). */
export function isOwnRendererUrl(url: string, location: RendererLocation): boolean {
  const candidate = parse(url);
  if (!candidate) return false;
  if (candidate.protocol === 'file:') {
    const own = parse(location.indexFileUrl);
    return own !== null && candidate.host === own.host && candidate.pathname === own.pathname;
  }
  if (location.devServerUrl && (candidate.protocol === 'http:' || candidate.protocol === 'https:')) {
    const dev = parse(location.devServerUrl);
    return dev !== null && candidate.origin === dev.origin;
  }
  return false;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
