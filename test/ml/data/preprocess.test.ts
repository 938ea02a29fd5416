import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { modalityFrameToPixels, preprocess } from '../../../main/ml/data/preprocess';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';

async function solid(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}

describe('preprocess', () => {
  it('gives inputSize x inputSize x channels values normalised by the spec', async () => {
    const spec = defaultPreprocessSpec(12, 1);
    const out = await preprocess(await solid(30, 20, [128, 128, 128]), spec);
    expect(out.length).toBe(12 * 12);
    for (const v of out) expect(v).toBeCloseTo((128 / 255 - 0.5) / 0.5, 5);
  });

  it('turns RGB into luminance: green is brighter than red, red brighter than blue', async () => {
    const spec = { ...defaultPreprocessSpec(4, 1), mean: [0], std: [1] };
    const [red, green, blue] = await Promise.all([[255, 0, 0], [0, 255, 0], [0, 0, 255]].map(async (c) => (await preprocess(await solid(8, 8, c as [number, number, number]), spec))[0] as number));
    expect(green).toBeGreaterThan(red as number);
    expect(red).toBeGreaterThan(blue as number);
    expect(green).toBeLessThan(1);
  });

  it('replicates a gray image into three channels for an RGB model', async () => {
    const spec = { ...defaultPreprocessSpec(6, 3), mean: [0, 0, 0], std: [1, 1, 1] };
    const gray = await sharp({ create: { width: 9, height: 9, channels: 3, background: { r: 51, g: 51, b: 51 } } }).greyscale().png().toBuffer();
    const out = await preprocess(gray, spec);
    expect(out.length).toBe(6 * 6 * 3);
    for (const v of out) expect(v).toBeCloseTo(51 / 255, 5);
  });

  it('cover-resizes and crops the centre: a wide black|white image keeps both halves in the middle', async () => {
    // 40x10: columns 0-19 black, 20-39 white; cover to 10 px keeps columns 15-24.
    const raw = Buffer.alloc(40 * 10);
    for (let y = 0; y < 10; y++) for (let x = 20; x < 40; x++) raw[y * 40 + x] = 255;
    const image = await sharp(raw, { raw: { width: 40, height: 10, channels: 1 } }).png().toBuffer();
    const spec = { ...defaultPreprocessSpec(10, 1), mean: [0], std: [1] };
    const out = await preprocess(image, spec);
    expect(out[5 * 10 + 1]).toBeLessThan(0.1);
    expect(out[5 * 10 + 8]).toBeGreaterThan(0.9);
  });

  it('windows a 16-bit modality frame before resizing it in float', () => {
    const frame = { kind: 'modality-frame' as const, width: 4, height: 4, data: Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? -1000 : 1000)) };
    const spec = { ...defaultPreprocessSpec(4, 1), highDepth: { rule: 'window' as const, center: 0, width: 400 } };
    const pixels = modalityFrameToPixels(frame, spec);
    expect(pixels[0]).toBe(0);
    expect(pixels[15]).toBe(255);
    const minmax = modalityFrameToPixels({ ...frame, data: Float32Array.from({ length: 16 }, (_, i) => i * 100) }, defaultPreprocessSpec(4, 1));
    expect(minmax[0]).toBeCloseTo(0, 5);
    expect(minmax[15]).toBeCloseTo(255, 3);
  });

  it('rejects bytes that are not an image', async () => {
    await expect(preprocess(Buffer.from('not an image'), defaultPreprocessSpec(8, 1))).rejects.toThrow();
  });
});
