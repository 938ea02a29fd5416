import { describe, expect, it } from 'vitest';
import {
  MAX_SCALE,
  actualPixelsView,
  clampPan,
  fitScale,
  fitView,
  panBy,
  wheelFactor,
  zoomBy,
  zoomPercent,
} from '../../renderer/src/composables/zoom';

const viewport = { width: 800, height: 600 };
const image = { width: 4000, height: 1000 };

describe('zoom math', () => {
  it('fits the whole image and centres it', () => {
    expect(fitScale(image, viewport)).toBeCloseTo(0.2);
    const view = fitView(image, viewport);
    expect(view.fit).toBe(true);
    expect(view.x).toBeCloseTo(0);
    expect(view.y).toBeCloseTo((600 - 200) / 2);
    // Small images are enlarged to fit.
    expect(fitScale({ width: 28, height: 28 }, viewport)).toBeCloseTo(600 / 28);
  });

  it('zooms around the cursor: the image point under the cursor stays put', () => {
    const view = fitView(image, viewport);
    const cx = 300;
    const cy = 310;
    const before = { x: (cx - view.x) / view.scale, y: (cy - view.y) / view.scale };
    const zoomed = zoomBy(view, 4, cx, cy, image, viewport);
    expect(zoomed.fit).toBe(false);
    expect(zoomed.scale).toBeCloseTo(0.8);
    expect((cx - zoomed.x) / zoomed.scale).toBeCloseTo(before.x);
    expect((cy - zoomed.y) / zoomed.scale).toBeCloseTo(before.y);
  });

  it('1:1 shows one image pixel per device pixel and keeps the centre', () => {
    const view = fitView(image, viewport);
    const actual = actualPixelsView(view, image, viewport, 2);
    expect(actual.scale).toBe(0.5);
    expect(zoomPercent(actual, 2)).toBe(100);
    const centreBefore = (400 - view.x) / view.scale;
    expect((400 - actual.x) / actual.scale).toBeCloseTo(centreBefore);
  });

  it('pans but never leaves an empty band at an edge, and centres small axes', () => {
    const view = { scale: 1, x: 0, y: 0, fit: false };
    const panned = panBy(view, -500, -100, image, viewport);
    expect(panned.x).toBe(-500);
    expect(panned.y).toBe(-100);
    const far = panBy(view, -10_000, 10_000, image, viewport);
    expect(far.x).toBe(800 - 4000);
    expect(far.y).toBe(0);
    const small = clampPan({ scale: 1, x: 123, y: -50, fit: false }, { width: 100, height: 50 }, viewport);
    expect(small).toMatchObject({ x: 350, y: 275 });
  });

  it('clamps the scale and turns wheel deltas into zoom factors', () => {
    const view = zoomBy(fitView(image, viewport), 1e9, 0, 0, image, viewport);
    expect(view.scale).toBe(MAX_SCALE);
    expect(wheelFactor(-100)).toBeCloseTo(1.25);
    expect(wheelFactor(100)).toBeCloseTo(0.8);
    expect(wheelFactor(-3, 1)).toBeCloseTo(1.25); // lines: one notch is at most one step
    expect(wheelFactor(-4)).toBeGreaterThan(1);
    expect(wheelFactor(-4)).toBeLessThan(1.02);
  });
});
