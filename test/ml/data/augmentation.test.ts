import { describe, expect, it } from 'vitest';
import { augment, PHOTO_AUGMENTATION } from '../../../main/ml/data/augmentation';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';
import { seededRandom } from '../../../main/ml/samplers/seededRandom';

const spec = defaultPreprocessSpec(8, 3);

/** An 8 x 8 RGB image whose red channel is the column, green the row, blue constant. */
function gradient(): Uint8Array {
  const pixels = new Uint8Array(8 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) pixels.set([x * 30, y * 30, 100], (y * 8 + x) * 3);
  return pixels;
}

describe('training augmentation', () => {
  it('returns the cached pixels untouched when nothing is asked', () => {
    const pixels = gradient();
    expect(augment(pixels, spec, seededRandom(1), {})).toBe(pixels);
  });

  it('a flip mirrors columns; the source (the decode cache) is never modified', () => {
    const pixels = gradient();
    const copy = pixels.slice();
    // Draw until the coin says flip (probability 1/2 per call).
    const random = seededRandom(2);
    let out = augment(pixels, spec, random, { flip: true });
    while (out[0] === pixels[0]) out = augment(pixels, spec, random, { flip: true });
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(out[(y * 8 + x) * 3]).toBeCloseTo(pixels[(y * 8 + (7 - x)) * 3] as number, 4);
    expect(pixels).toEqual(copy);
  });

  it('a shift with no crop moves whole pixels and replicates the edge', () => {
    const pixels = gradient();
    const out = augment(pixels, spec, () => 0, { maxShift: 2 }); // random 0 -> shift by -2 in x and y
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(out[(y * 8 + x) * 3]).toBeCloseTo(Math.min(7, x + 2) * 30, 4);
  });

  it('photo recipe: same seed, same images; values stay in 0..255; a crop zooms in', () => {
    const pixels = gradient();
    const a = augment(pixels, spec, seededRandom(9), PHOTO_AUGMENTATION);
    const b = augment(pixels, spec, seededRandom(9), PHOTO_AUGMENTATION);
    const c = augment(pixels, spec, seededRandom(10), PHOTO_AUGMENTATION);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of a) expect(v >= 0 && v <= 255).toBe(true);
    // A crop of at most the whole image never spans a wider column range than the original.
    const crop = augment(pixels, spec, seededRandom(3), { crop: { minScale: 0.3 } });
    const reds = Array.from({ length: 8 }, (_, x) => crop[x * 3] as number);
    expect(Math.max(...reds) - Math.min(...reds)).toBeLessThanOrEqual(7 * 30 + 1e-3);
  });

  it('jitter changes colours but keeps a gray image gray when saturation is the only change left', () => {
    const gray = new Uint8Array(8 * 8 * 3).fill(120);
    const out = augment(gray, spec, seededRandom(4), { jitter: 0.4 });
    for (let p = 0; p < 64; p++) {
      expect(out[p * 3]).toBeCloseTo(out[p * 3 + 1] as number, 3);
      expect(out[p * 3]).toBeCloseTo(out[p * 3 + 2] as number, 3);
    }
    expect(out[0]).not.toBeCloseTo(120, 1);
  });
});
