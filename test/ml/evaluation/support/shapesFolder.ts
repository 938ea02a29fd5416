import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import { scanImageFolder } from '../../../../main/ml/data/imageFolder';
import type { LabelledItem } from '../../../../main/ml/episodes/episodeSampler';
import { labelledPoolFromImageFolder } from '../../../../main/ml/episodes/labelledPool';
import { createEmbeddingNet, type EmbeddingNet } from '../../../../main/ml/models/embeddingNet';
import { seededRandom } from '../../../../main/ml/samplers/seededRandom';
import { tempDir } from '../../../ingest/support/fixtures';
import { useWasmWithProjectKernels } from '../../wasmBackend';

const COLOURS: [number, number, number][] = [
  [220, 40, 40],
  [40, 200, 60],
  [40, 80, 230],
  [230, 210, 40],
  [200, 60, 220],
  [40, 210, 220],
  [250, 140, 30],
  [120, 120, 120],
];

/**
 * A tiny ImageFolder: class c is a square of colour c at a seeded random place and size on a noisy
 * dark background, `perClass` images each, `size` px PNGs. Returns the folder.
 */
export async function writeShapesFolder(root: string, classes: number, perClass: number, size = 28, seed = 1): Promise<string> {
  const random = seededRandom(seed);
  for (let c = 0; c < classes; c++) {
    const dir = path.join(root, `class${c}`);
    mkdirSync(dir, { recursive: true });
    const colour = COLOURS[c % COLOURS.length] as [number, number, number];
    for (let i = 0; i < perClass; i++) {
      const pixels = Buffer.alloc(size * size * 3);
      const side = 8 + Math.floor(random() * 10);
      const x0 = Math.floor(random() * (size - side));
      const y0 = Math.floor(random() * (size - side));
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
          for (let k = 0; k < 3; k++) pixels[(y * size + x) * 3 + k] = inside ? (colour[k] as number) : Math.floor(random() * 40);
        }
      }
      writeFileSync(path.join(dir, `img${String(i).padStart(2, '0')}.png`), await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    }
  }
  return root;
}

/**
 * Registers beforeAll / afterAll hooks that write a shapes folder, scan it into a labelled pool and
 * create a small colour Conv-4 (28 px, seed 5) on the wasm backend with the project's kernels; the
 * getters return them inside tests.
 */
export function useShapesPool(name: string, classes: number, perClass: number): { pool(): LabelledItem[]; net(): EmbeddingNet } {
  let work: ReturnType<typeof tempDir> | undefined;
  let pool: LabelledItem[] = [];
  let net: EmbeddingNet | undefined;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    work = tempDir(name);
    await writeShapesFolder(work.dir, classes, perClass);
    const scanned = await scanImageFolder(work.dir);
    if (!scanned.ok) throw new Error(scanned.message);
    pool = labelledPoolFromImageFolder(scanned.folder);
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 28, channels: 3, widths: [8, 8, 8, 8], seed: 5 });
  });
  afterAll(() => {
    net?.dispose();
    work?.cleanup();
  });
  return {
    pool: () => pool,
    net: () => {
      if (!net) throw new Error('the shapes pool is not set up yet (use it inside a test)');
      return net;
    },
  };
}
