/**
 * A series as a stack of slices (pure): every (instance, frame) pair in the order main gives the
 * instances (slice order), frames of a multi-frame instance in frame order, so stepping through a
 * multi-frame instance is the same as stepping through single-frame slices. Stepping stops at the ends;
 * cine loops.
 */
import type { SeriesInstance } from '@shared/rpc/contract';

export interface StackSlice {
  imageId: number;
  /** Frame of the instance (0 for single-frame instances). */
  frame: number;
  frames: number;
  instanceNumber: number | null;
  slicePosition: number | null;
  /** Position of the instance in the series (0-based). */
  instanceIndex: number;
}

/** No single series should flood the viewer: beyond this many slices the rest is left out (and said). */
export const MAX_STACK = 20_000;

export function buildStack(instances: readonly SeriesInstance[]): StackSlice[] {
  const out: StackSlice[] = [];
  instances.forEach((instance, instanceIndex) => {
    const frames = Math.max(1, instance.frames);
    for (let frame = 0; frame < frames && out.length < MAX_STACK; frame++) {
      out.push({
        imageId: instance.imageId,
        frame,
        frames,
        instanceNumber: instance.instanceNumber,
        slicePosition: instance.slicePosition,
        instanceIndex,
      });
    }
  });
  return out;
}

export function clampSlice(index: number, length: number): number {
  if (length <= 0) return 0;
  return Math.min(length - 1, Math.max(0, Math.trunc(index)));
}

/** Slice index after moving by `delta` (no wrap). */
export function stepSlice(index: number, delta: number, length: number): number {
  return clampSlice(index + delta, length);
}

/** Cine's next slice: loops back to the first after the last. */
export function cineNext(index: number, length: number): number {
  if (length <= 1) return 0;
  return index + 1 >= length ? 0 : index + 1;
}

/** Slices per PageUp/PageDown. */
export const PAGE_SLICES = 10;

export const CINE_FPS = { min: 1, max: 60, default: 10 } as const;

export function clampFps(fps: number): number {
  if (!Number.isFinite(fps)) return CINE_FPS.default;
  return Math.min(CINE_FPS.max, Math.max(CINE_FPS.min, Math.round(fps)));
}

/** Frame-rate steps of the [ and ] keys. */
export const FPS_STEPS = [1, 2, 5, 10, 15, 20, 25, 30, 40, 60] as const;

export function nextFps(fps: number, direction: 1 | -1): number {
  if (direction > 0) return FPS_STEPS.find((f) => f > fps) ?? CINE_FPS.max;
  return [...FPS_STEPS].reverse().find((f) => f < fps) ?? CINE_FPS.min;
}
