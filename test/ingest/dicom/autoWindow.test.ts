// The default display window (thumbnails, first view) on synthetic frames: header VOI only where it
// suits the data, CT defaults for HU data, else a percentile window of the body; an explicit VOI wins.
import { describe, expect, it } from 'vitest';
import { renderFrame, windowValue, type DicomFrame, type VoiPreset, type WindowPreset } from '../../../main/ingest/dicom';
import { bodyValues, chooseWindow, paddingValues, sortedSample, type WindowContext } from '../../../main/ingest/dicom/autoWindow';
import { defaultVoi } from '../../../main/ingest/dicom/render';

const SIZE = 128;

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/**
 * A SIZE x SIZE frame: `outside` beyond a reconstruction circle (radius 0.48), `air` inside it, and a
 * body disc (radius 0.3) whose value comes from `body(x, y)` (x, y in -1..1 over the disc's box).
 */
function frame(outside: number, air: number, body: (x: number, y: number, r: () => number) => number, seed = 1): Extract<DicomFrame, { kind: 'mono' }> {
  const data = new Float32Array(SIZE * SIZE);
  const rand = noise(seed);
  let min = Infinity;
  let max = -Infinity;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const dx = (x + 0.5) / SIZE - 0.5;
      const dy = (y + 0.5) / SIZE - 0.5;
      const d = Math.hypot(dx, dy);
      const v = d > 0.48 ? outside : d > 0.3 ? air + Math.round(rand() * 10) : Math.round(body(dx / 0.3, dy / 0.3, rand));
      data[y * SIZE + x] = v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  return { kind: 'mono', data, min, max };
}

const image = (voiPresets: VoiPreset[], modality: string, rescale?: WindowContext['rescale']) => ({
  rows: SIZE,
  columns: SIZE,
  invert: false,
  voiPresets,
  meta: { modality },
  ...(rescale ? { rescale } : {}),
});
const hu = { slope: 1, intercept: -1024, type: 'HU' };
const win = (center: number, width: number): WindowPreset => ({ kind: 'window', center, width, fn: 'LINEAR' });

/** Abdomen-like CT in HU: fat ring, soft tissue, a bone core; -3024 padding outside the scan circle. */
const abdomen = frame(-3024, -1000, (x, y, r) => {
  const d = Math.hypot(x, y);
  if (d > 0.85) return -100 + r() * 20; // fat
  if (d < 0.2) return 700 + r() * 200; // bone
  return 40 + r() * 40; // soft tissue
});
/** Head CT in HU with a thin skull: brain 20..60 HU. */
const head = frame(-3024, -1000, (x, y, r) => (Math.hypot(x, y) > 0.96 ? 1000 + r() * 100 : 40 + r() * 20));
/** Like CT0012: brain values around 1050 (no rescale to HU), 0 outside. */
const unscaledHead = frame(0, 0, (x, y, r) => 1060 + r() * 40);
/** MR: dark noisy background, tissue spread 200..1500. */
const mr = frame(0, 20, (x, y, r) => 200 + 1300 * Math.abs(x * y) + r() * 50);

/** Share of body pixels (|value| above `threshold`) rendered pure black or white. */
function clipped(display: Uint8Array, data: Float32Array, inBody: (v: number) => boolean): number {
  let n = 0;
  let c = 0;
  for (let i = 0; i < data.length; i++) {
    if (!inBody(data[i]!)) continue;
    n++;
    if (display[i] === 0 || display[i] === 255) c++;
  }
  return c / n;
}

describe('default window', () => {
  it('keeps a header window that suits the data', () => {
    const choice = defaultVoi(image([win(40, 400)], 'CT', hu), abdomen);
    expect(choice.source).toBe('header');
    expect(choice.voi).toMatchObject({ center: 40, width: 400 });
  });

  it('skips a header window that would clip most of the body, for the next header window', () => {
    const choice = defaultVoi(image([win(2000, 100), win(40, 400)], 'CT', hu), abdomen);
    expect(choice).toMatchObject({ source: 'header', voi: { center: 40, width: 400 } });
  });

  it('skips a header window far wider than the data (a flat grey)', () => {
    const choice = defaultVoi(image([win(30_000, 65_000)], 'MR'), mr);
    expect(choice.source).toBe('auto');
  });

  it('uses the CT soft-tissue default for HU data without a usable header window', () => {
    const choice = defaultVoi(image([win(3000, 100)], 'CT', hu), abdomen);
    expect(choice).toMatchObject({ source: 'modality', voi: { center: 40, width: 400 } });
  });

  it('uses the CT brain default where the body fits it', () => {
    const choice = defaultVoi(image([], 'CT', hu), head);
    expect(choice).toMatchObject({ source: 'modality', voi: { center: 40, width: 80 } });
  });

  it('windows CT that is not in HU (CT0012-like) on the body, not on the background', () => {
    const choice = defaultVoi(image([], 'CT'), unscaledHead);
    expect(choice.source).toBe('auto');
    const w = choice.voi as WindowPreset;
    // The whole 0..1100 range would make the brain a near-white blob; the body window spans the brain only.
    expect(w.center - w.width / 2).toBeGreaterThan(900);
    expect(w.width).toBeLessThan(150);
    const display = renderFrame(image([], 'CT'), unscaledHead);
    expect(clipped(display.data, unscaledHead.data, (v) => v > 500)).toBeLessThan(0.05);
    // The background stays black.
    expect(display.data[0]).toBe(0);
  });

  it('never applies CT defaults to MR: automatic body window, background below it', () => {
    const choice = defaultVoi(image([], 'MR'), mr);
    expect(choice.source).toBe('auto');
    const w = choice.voi as WindowPreset;
    expect(w.center - w.width / 2).toBeGreaterThan(60); // above the background noise (20 +- 10)
    expect(w.center - w.width / 2).toBeLessThan(260); // not cutting into the darkest tissue
    const display = renderFrame(image([], 'MR'), mr);
    expect(clipped(display.data, mr.data, (v) => v >= 200)).toBeLessThan(0.03);
  });

  it('keeps a header VOI LUT that spreads the body over the grey scale', () => {
    const data = new Uint16Array(2048);
    for (let i = 0; i < data.length; i++) data[i] = Math.round((i / (data.length - 1)) * 4095);
    const lut: VoiPreset = { kind: 'lut', firstMapped: 0, bitsPerEntry: 12, data };
    expect(defaultVoi(image([lut], 'MR'), mr)).toMatchObject({ source: 'header', voi: { kind: 'lut' } });
  });

  it('lets an explicit VOI win over every default (the viewer user choice)', () => {
    const img = image([win(40, 400)], 'CT', hu);
    const chosen = win(-600, 1500);
    const display = renderFrame(img, abdomen, chosen);
    for (const i of [0, SIZE * (SIZE / 2) + SIZE / 2, SIZE * 20 + 64]) {
      expect(display.data[i]).toBe(Math.min(255, Math.max(0, Math.round(windowValue(abdomen.data[i]!, chosen)))));
    }
  });

  it('passes colour frames through untouched', () => {
    const rgb = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const display = renderFrame({ rows: 1, columns: 2, invert: false, voiPresets: [] }, { kind: 'rgb', data: rgb });
    expect(display.channels).toBe(3);
    expect(Array.from(display.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('body statistics', () => {
  it('finds isolated padding spikes, not the values of a small integer range', () => {
    expect(paddingValues(sortedSample(abdomen.data))).toEqual([-3024]);
    const small = new Float32Array(256);
    const rand = noise(3);
    for (let i = 0; i < small.length; i++) small[i] = 48 + Math.round(((rand() + 1) / 2) * 32);
    expect(paddingValues(sortedSample(small))).toEqual([]);
  });

  it('takes CT in HU above -500 HU as the body (air and padding out)', () => {
    const body = bodyValues(sortedSample(abdomen.data), true);
    expect(body[0]).toBeGreaterThan(-500);
    const expected = abdomen.data.filter((v) => v > -500).length;
    expect(body.length).toBe(expected);
  });

  it('handles flat and tiny frames', () => {
    const flat = new Float32Array(64).fill(7);
    const choice = chooseWindow(flat, { voiPresets: [] }, windowValueOf);
    expect(choice.source).toBe('auto');
    expect((choice.voi as WindowPreset).width).toBeGreaterThan(0);
    expect(chooseWindow(new Float32Array(0), { voiPresets: [] }, windowValueOf).source).toBe('auto');
  });
});

function windowValueOf(x: number, voi: VoiPreset): number {
  if (voi.kind !== 'window') throw new Error('windows only here');
  return windowValue(x, voi);
}
