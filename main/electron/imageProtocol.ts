/**
 * The `simila-img://<thumb|full>/<id>` protocol: how the Electron renderer gets image pixels by
 * catalogue id, never by path. The handler speaks the Fetch API (Request -> Response), which is what
 * Electron's protocol.handle expects and what Node 20 has, so it is tested without Electron.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { SimilaApp } from '../app/types';
import type { RpcLogger } from '../rpc/errors';
import { parseImageRef, type ImageRef } from '../rpc/imageRef';

export const IMAGE_SCHEME = 'simila-img';

/** Registered before `ready`: standard (so URLs parse with a host), secure, fetchable, streamed. */
export const IMAGE_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  stream: true,
} as const;

/** With a standard scheme, simila-img://thumb/42 has host "thumb" and path "/42". */
export function parseImageProtocolUrl(url: string): ImageRef | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${IMAGE_SCHEME}:` || parsed.search !== '' || parsed.username !== '' || parsed.port !== '') return null;
  const idText = parsed.pathname.replace(/^\//, '');
  // Chromium lower-cases the host of a standard scheme; Node's URL does not: accept both.
  return parseImageRef(parsed.hostname.toLowerCase(), idText);
}

export function createImageProtocolHandler(app: Pick<SimilaApp, 'imageFile'>, log: RpcLogger) {
  return async function handleImageRequest(request: Request): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const ref = parseImageProtocolUrl(request.url);
    if (ref === null) return new Response(null, { status: 404 });
    try {
      const file = await app.imageFile(ref.id, ref.variant);
      if (file === null) return new Response(null, { status: 404 });
      const info = await stat(file.path);
      if (!info.isFile()) throw new Error('not a file');
      const headers = {
        'Content-Type': file.mime,
        'Content-Length': String(info.size),
        'Cache-Control': 'private, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      };
      if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
      const body = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>;
      return new Response(body, { status: 200, headers });
    } catch (error) {
      log(`Image ${ref.id} (${ref.variant}) could not be served`, error);
      return new Response(null, { status: 404 });
    }
  };
}
