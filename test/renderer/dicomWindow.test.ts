import { describe, expect, it } from 'vitest';
import {
  MIN_WIDTH,
  dragSensitivity,
  dragWindow,
  formatWindow,
  standardPresets,
  stepFrame,
  wheelFrames,
} from '../../renderer/src/composables/dicomWindow';
import { failurePage, reasonCounts } from '../../renderer/src/composables/failureList';
import type { ImportFailure } from '@shared/rpc/contract';

const start = { center: 40, width: 400, fn: 'LINEAR' as const };

describe('window/level by drag', () => {
  it('scales the drag to the value range (CT in HU moves faster than 8-bit)', () => {
    expect(dragSensitivity({ min: -1024, max: 2976 })).toBeCloseTo(8);
    expect(dragSensitivity({ min: 0, max: 255 })).toBeCloseTo(0.51);
    expect(dragSensitivity(null)).toBe(1);
    expect(dragSensitivity({ min: 5, max: 5 })).toBe(1);
  });

  it('horizontal drag changes the width, vertical the centre, from the drag start', () => {
    const right = dragWindow(start, 50, 0, 8);
    expect(right).toEqual({ center: 40, width: 800, fn: 'LINEAR' });
    const down = dragWindow(start, 0, 10, 8);
    expect(down).toEqual({ center: 120, width: 400, fn: 'LINEAR' });
    const upLeft = dragWindow(start, -10, -5, 2);
    expect(upLeft).toEqual({ center: 30, width: 380, fn: 'LINEAR' });
  });

  it('never narrows below the minimum width', () => {
    expect(dragWindow(start, -1000, 0, 8).width).toBe(MIN_WIDTH);
  });

  it('keeps the window function of the start', () => {
    expect(dragWindow({ ...start, fn: 'SIGMOID' }, 3, 3, 1).fn).toBe('SIGMOID');
  });

  it('has the five usual presets in key order', () => {
    expect(standardPresets.map((p) => [p.width, p.center])).toEqual([
      [400, 40],
      [1500, -600],
      [150, 90],
      [2500, 480],
      [80, 40],
    ]);
    expect(formatWindow({ center: -600, width: 1500, fn: 'LINEAR' })).toBe('W 1500 / L -600');
    expect(formatWindow(null)).toBe('as stored');
  });
});

describe('frame stepping', () => {
  it('clamps to the first and last frame', () => {
    expect(stepFrame(0, -1, 10)).toBe(0);
    expect(stepFrame(0, 1, 10)).toBe(1);
    expect(stepFrame(9, 1, 10)).toBe(9);
    expect(stepFrame(4, -3, 10)).toBe(1);
    expect(stepFrame(0, 1, 1)).toBe(0);
  });

  it('moves one frame per wheel notch, in the wheel direction', () => {
    expect(wheelFrames(120)).toBe(1);
    expect(wheelFrames(-3)).toBe(-1);
    expect(wheelFrames(0, 100)).toBe(1);
    expect(wheelFrames(0, 0)).toBe(0);
  });
});

describe('failure list', () => {
  const failures: ImportFailure[] = [
    ...Array.from({ length: 7 }, (_, i) => ({ path: `/a/${i}.dcm`, code: 'dicom_unsupported', message: 'x' })),
    ...Array.from({ length: 3 }, (_, i) => ({ path: `/b/${i}.jpg`, code: 'decode_error', message: 'y' })),
    { path: '/c/empty.png', code: 'empty_file', message: 'z' },
  ];

  it('counts reasons, most frequent first', () => {
    expect(reasonCounts(failures)).toEqual([
      { code: 'dicom_unsupported', count: 7 },
      { code: 'decode_error', count: 3 },
      { code: 'empty_file', count: 1 },
    ]);
  });

  it('filters by reason and pages, clamping the page', () => {
    const all = failurePage(failures, null, 1, 4);
    expect(all).toMatchObject({ page: 1, pages: 3, matching: 11 });
    expect(all.items.map((f) => f.path)).toEqual(['/a/4.dcm', '/a/5.dcm', '/a/6.dcm', '/b/0.jpg']);
    const decode = failurePage(failures, 'decode_error', 5, 2);
    expect(decode).toMatchObject({ page: 1, pages: 2, matching: 3 });
    expect(decode.items.map((f) => f.path)).toEqual(['/b/2.jpg']);
    expect(failurePage([], null, 3, 10)).toMatchObject({ page: 0, pages: 1, matching: 0, items: [] });
  });
});
