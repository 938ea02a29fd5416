/**
 * Builds a folder of many distinct, valid JPEG/PNG files fast: a few base images are encoded once,
 * and each file is a base plus a unique comment (a JPEG COM segment or a PNG tEXt chunk), so every
 * file has its own content hash and decodes to real pixels. Used by the ingest benchmark and tests.
 */
import { mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export type SyntheticFormat = 'jpeg' | 'png';

/** A deterministic noisy image with some structure (gradient + noise), so encoders do real work. */
export async function encodeBase(format: SyntheticFormat, width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let x = seed >>> 0 || 1;
  for (let i = 0, p = 0; i < width * height; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const gradient = ((i % width) * 255) / width;
    pixels[p++] = (gradient + (x & 0x3f)) & 0xff;
    pixels[p++] = ((x >>> 8) & 0xff) >> 1;
    pixels[p++] = (255 - gradient + ((x >>> 16) & 0x1f)) & 0xff;
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg({ quality: 85 }).toBuffer() : image.png({ compressionLevel: 6 }).toBuffer();
}

/** The same image with a unique comment inside: a different file (and hash), the same pixels. */
export function uniqueVariant(base: Buffer, format: SyntheticFormat, tag: string): Buffer {
  const text = Buffer.from(`simila-synthetic ${tag}`, 'latin1');
  if (format === 'jpeg') {
    const segment = Buffer.alloc(4 + text.length);
    segment.writeUInt16BE(0xfffe, 0); // COM
    segment.writeUInt16BE(text.length + 2, 2);
    text.copy(segment, 4);
    return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
  }
  const data = Buffer.concat([Buffer.from('Comment\0', 'latin1'), text]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const iend = base.length - 12; // IEND is the last chunk of an encoder's PNG
  return Buffer.concat([base.subarray(0, iend), chunk, base.subarray(iend)]);
}

export interface SyntheticOptions {
  files: number;
  minSide?: number;
  maxSide?: number;
  /** Distinct encoded bases the files are made from. */
  bases?: number;
  /** Files per sub-folder. */
  perFolder?: number;
  seed?: number;
}

/** Writes `files` distinct images under `dir` (sub-folders of `perFolder`); sides log-uniform in [min, max]. */
export async function writeSyntheticArchive(dir: string, options: SyntheticOptions): Promise<{ files: string[]; bytes: number }> {
  const minSide = options.minSide ?? 64;
  const maxSide = options.maxSide ?? 2048;
  const perFolder = options.perFolder ?? 500;
  const baseCount = Math.max(1, Math.min(options.bases ?? 64, options.files));
  let x = (options.seed ?? 7) >>> 0 || 1;
  const random = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const side = () => Math.round(minSide * (maxSide / minSide) ** random());
  const specs = Array.from({ length: baseCount }, (_, i) => ({ format: (i % 2 === 0 ? 'jpeg' : 'png') as SyntheticFormat, width: side(), height: side(), seed: i + 1 }));
  const bases = await Promise.all(specs.map((s) => encodeBase(s.format, s.width, s.height, s.seed)));
  const files: string[] = [];
  let bytes = 0;
  for (let start = 0; start < options.files; start += 64) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(options.files, start + 64); i++) {
      const b = i % baseCount;
      const folder = path.join(dir, `part-${String(Math.floor(i / perFolder)).padStart(3, '0')}`);
      if (i % perFolder === 0) mkdirSync(folder, { recursive: true });
      const file = path.join(folder, `img-${String(i).padStart(6, '0')}.${specs[b]!.format === 'jpeg' ? 'jpg' : 'png'}`);
      const content = uniqueVariant(bases[b]!, specs[b]!.format, String(i));
      bytes += content.length;
      files.push(file);
      batch.push(fs.writeFile(file, content));
    }
    await Promise.all(batch);
  }
  return { files, bytes };
}
