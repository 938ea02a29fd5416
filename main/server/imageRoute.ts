/**
 * GET /img/<thumb|full>/<id>?token=...: streams an image rendition that the app resolved from its
 * catalogue. The request only ever names a variant and an id; the path comes from the app.
 */
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimilaApp } from '../app/types';
import type { RpcLogger } from '../rpc/errors';
import { parseImageRef } from '../rpc/imageRef';
import { imageHeaders } from './securityHeaders';
import { pipeFile, sendText } from './staticFiles';
import { tokenMatches } from './token';

export const IMAGE_ROUTE_PREFIX = '/img/';

export interface ImageRouteOptions {
  app: SimilaApp;
  token: string;
  log: RpcLogger;
}

export async function serveImage(request: IncomingMessage, response: ServerResponse, url: URL, options: ImageRouteOptions): Promise<void> {
  const headers = imageHeaders();
  if (!tokenMatches(options.token, url.searchParams.get('token'))) {
    sendText(response, 403, 'Forbidden', headers);
    return;
  }
  const [variant = '', idText = '', ...rest] = url.pathname.slice(IMAGE_ROUTE_PREFIX.length).split('/');
  const ref = rest.length === 0 ? parseImageRef(variant, idText) : null;
  if (ref === null) {
    sendText(response, 404, 'No such image', headers);
    return;
  }
  let file: Awaited<ReturnType<SimilaApp['imageFile']>>;
  let size: number;
  let mtimeMs: number;
  try {
    file = await options.app.imageFile(ref.id, ref.variant);
    if (file === null) {
      sendText(response, 404, 'No such image', headers);
      return;
    }
    const info = await stat(file.path);
    if (!info.isFile()) throw new Error(`Image ${ref.id} (${ref.variant}) resolved to something that is not a file`);
    size = info.size;
    mtimeMs = info.mtimeMs;
  } catch (error) {
    options.log(`Image ${ref.id} (${ref.variant}) could not be served`, error);
    sendText(response, 404, 'Image unavailable', headers);
    return;
  }
  // A weak validator is enough: the same id and variant only change when the file itself does.
  const etag = `W/"${ref.variant}-${ref.id}-${size}-${Math.trunc(mtimeMs)}"`;
  const cacheHeaders = { ETag: etag, 'Cache-Control': 'private, max-age=3600' };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, { ...headers, ...cacheHeaders });
    response.end();
    return;
  }
  response.writeHead(200, {
    ...headers,
    ...cacheHeaders,
    'Content-Type': file.mime,
    'Content-Length': String(size),
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  pipeFile(file.path, response);
}
