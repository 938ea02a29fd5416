/**
 * DICOM display windowing in the viewer (pure): the usual presets, mouse-drag window/level like a
 * PACS viewer (horizontal = width, vertical = centre), frame stepping, and how a window is written.
 */
import type { DicomWindow } from '@shared/rpc/contract';

export interface WindowPreset {
  /** Shortcut id in the one shortcut table. */
  id: 'dicom.softTissue' | 'dicom.lung' | 'dicom.liver' | 'dicom.bone' | 'dicom.brain';
  label: string;
  width: number;
  center: number;
}

/** Keys 1-5, in this order (CT values in Hounsfield units). */
export const standardPresets: readonly WindowPreset[] = [
  { id: 'dicom.softTissue', label: 'Soft tissue', width: 400, center: 40 },
  { id: 'dicom.lung', label: 'Lung', width: 1500, center: -600 },
  { id: 'dicom.liver', label: 'Liver', width: 150, center: 90 },
  { id: 'dicom.bone', label: 'Bone', width: 2500, center: 480 },
  { id: 'dicom.brain', label: 'Brain', width: 80, center: 40 },
];

export function presetWindow(preset: { width: number; center: number }): DicomWindow {
  return { center: preset.center, width: preset.width, fn: 'LINEAR' };
}

/** Narrowest window a drag may reach: one modality unit (DICOM requires width >= 1 for LINEAR). */
export const MIN_WIDTH = 1;

/**
 * Modality units one pixel of drag moves the window by: the value range spread over ~500 px, so a
 * drag across the image spans the data whether it is CT in HU (range ~4000) or 8-bit (range 255).
 */
export function dragSensitivity(valueRange: { min: number; max: number } | null): number {
  if (!valueRange) return 1;
  const span = valueRange.max - valueRange.min;
  if (!Number.isFinite(span) || span <= 0) return 1;
  return Math.max(span / 500, 0.01);
}

/**
 * Window after a drag of (dx, dy) screen pixels from `start`: right widens, left narrows; down raises
 * the centre (the image darkens), up lowers it - the convention of common PACS viewers.
 */
export function dragWindow(start: DicomWindow, dx: number, dy: number, sensitivity: number): DicomWindow {
  const width = Math.max(MIN_WIDTH, start.width + dx * sensitivity);
  const center = start.center + dy * sensitivity;
  return { ...start, width: roundUnit(width), center: roundUnit(center) };
}

/** Keeps drag results readable (and requests stable) without visible steps: 0.01 units. */
function roundUnit(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Frame index after stepping by `delta`; stays within [0, frames - 1] (no wrap, like cine stop). */
export function stepFrame(frame: number, delta: number, frames: number): number {
  if (frames <= 1) return 0;
  return Math.min(frames - 1, Math.max(0, frame + delta));
}

/** Frames to move for one wheel event: one per notch, whatever the direction of the delta. */
export function wheelFrames(deltaY: number, deltaX = 0): number {
  const delta = deltaY !== 0 ? deltaY : deltaX;
  return delta === 0 ? 0 : Math.sign(delta);
}

/** 'W 400 / L 40' (L = level, the usual word for the centre). */
export function formatWindow(window: DicomWindow | null): string {
  if (!window) return 'as stored';
  return `W ${formatNumber(window.width)} / L ${formatNumber(window.center)}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function sameWindow(a: DicomWindow | null, b: DicomWindow | null): boolean {
  if (!a || !b) return a === b;
  return a.center === b.center && a.width === b.width;
}
