/**
 * Resolves an image rendition by catalogue id. Paths always come from the catalogue. 'thumb' is the
 * stored WebP thumbnail; 'full' is the original when a browser can show it and it is unchanged on
 * disk, otherwise a PNG rendition (longest side capped) made on demand into <home>/renditions/.
 */
import { promises as fs } from 'node:fs';
import type { ImageVariant } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import { createSharpDecoder } from '../ingest/decoders/sharpDecoder';
import type { DecoderRegistry } from '../ingest/decoders/registry';
import { DEFAULT_LIMITS } from '../ingest/decoders/types';
import { sniff } from '../ingest/sniff';
import { shardedPath, thumbnailPath, writeFileAtomic } from '../ingest/thumbnails';
import type { ImageFile } from './types';

export const MAX_RENDITION_SIDE = 8192;

/** Formats every browser shows natively: served as they are. */
const BROWSER_FORMATS: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

async function fileSize(p: string): Promise<number | null> {
  try {
    const stat = await fs.stat(p);
    return stat.isFile() ? stat.size : null;
  } catch {
    return null;
  }
}

export interface ImageFileResolver {
  resolve(id: number, variant: ImageVariant): Promise<ImageFile | null>;
}

export function createImageFileResolver(options: {
  catalogue: Catalogue;
  registry: DecoderRegistry;
  thumbnailsDir: string;
  renditionsDir: string;
}): ImageFileResolver {
  const { catalogue, registry } = options;
  const fallback = createSharpDecoder();
  const making = new Map<string, Promise<ImageFile | null>>();

  /** The first catalogued path that still holds the same number of bytes. */
  const liveSource = async (imageId: number): Promise<string | null> => {
    for (const p of catalogue.paths.listForImage(imageId)) {
      if ((await fileSize(p.path)) === p.size) return p.path;
    }
    return null;
  };

  const makeRendition = async (hash: string, source: string, target: string): Promise<ImageFile | null> => {
    const bytes = await fs.readFile(source);
    const sniffed = sniff(bytes.subarray(0, 512));
    if (!sniffed) return null;
    const decoder = registry.find(sniffed);
    const render = decoder?.renderFull ? decoder : fallback;
    const result = await render.renderFull!({ bytes, sniffed, maxSide: MAX_RENDITION_SIDE, limits: DEFAULT_LIMITS });
    if (!result.ok) return null;
    await writeFileAtomic(target, result.png);
    return { path: target, mime: 'image/png' };
  };

  return {
    async resolve(id, variant) {
      const image = catalogue.images.get(id);
      if (!image) return null;
      if (variant === 'thumb') {
        const thumb = thumbnailPath(options.thumbnailsDir, image.hash);
        return (await fileSize(thumb)) !== null ? { path: thumb, mime: 'image/webp' } : null;
      }
      const mime = BROWSER_FORMATS[image.format];
      const source = await liveSource(id);
      if (mime && source) return { path: source, mime };
      const target = shardedPath(options.renditionsDir, image.hash, 'png');
      if ((await fileSize(target)) !== null) return { path: target, mime: 'image/png' };
      if (!source) return null;
      let pending = making.get(image.hash);
      if (!pending) {
        pending = makeRendition(image.hash, source, target).finally(() => making.delete(image.hash));
        making.set(image.hash, pending);
      }
      return pending;
    },
  };
}
