/**
 * Serving the built renderer. Only files inside the renderer folder are reachable: the URL path is
 * decoded once, any '..', backslash or NUL is refused, and the resolved real path must still lie
 * inside the folder (so a symlink cannot lead out either).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a URL path to a relative file path inside the renderer folder, or null when the path tries
 * to step outside it or is not a plain file name. '/' is the app page.
 */
export function toRelativeFile(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').slice(1);
  if (segments.some((segment) => segment === '..' || segment === '.')) return null;
  const relative = segments.join('/');
  if (relative === '' || relative.endsWith('/')) return `${relative}index.html`;
  return relative;
}

/** Resolves a relative file inside root (real paths on both sides); null if missing or outside. */
export async function resolveInside(root: string, relative: string): Promise<string | null> {
  try {
    const realRoot = await realpath(root);
    const candidate = await realpath(path.join(realRoot, relative));
    if (!candidate.startsWith(realRoot + path.sep)) return null;
    const info = await stat(candidate);
    return info.isFile() ? candidate : null;
  } catch {
    return null;
  }
}

export async function serveStatic(
  request: IncomingMessage,
  response: ServerResponse,
  rendererDir: string,
  urlPath: string,
  headers: Record<string, string>,
): Promise<void> {
  const relative = toRelativeFile(urlPath);
  const file = relative === null ? null : await resolveInside(rendererDir, relative);
  if (file === null) {
    sendText(response, relative === null ? 400 : 404, relative === null ? 'Bad path' : 'Not found', headers);
    return;
  }
  const info = await stat(file);
  // Vite puts content hashes in asset names, so those never change; the page itself must stay fresh.
  const immutable = relative?.startsWith('assets/') ?? false;
  response.writeHead(200, {
    ...headers,
    'Content-Type': contentTypeFor(file),
    'Content-Length': String(info.size),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  pipeFile(file, response);
}

export function pipeFile(file: string, response: ServerResponse): void {
  const stream = createReadStream(file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(text);
}
