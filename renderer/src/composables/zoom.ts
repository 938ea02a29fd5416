/**
 * Zoom/pan math of the image viewer (pure). The image is drawn with
 * `transform: translate(x, y) scale(scale)` (origin top-left) inside a viewport; `scale` is CSS px per
 * image pixel, so "actual pixels" (one image pixel per device pixel) is 1 / devicePixelRatio.
 */

export interface Size {
  width: number;
  height: number;
}

export interface View {
  scale: number;
  x: number;
  y: number;
  /** True while the view follows the window size (fit mode). */
  fit: boolean;
}

export const MIN_SCALE = 0.01;
export const MAX_SCALE = 64;
export const ZOOM_STEP = 1.25;

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** Scale at which the whole image fits the viewport (small images are enlarged too). */
export function fitScale(image: Size, viewport: Size): number {
  if (image.width <= 0 || image.height <= 0) return 1;
  return clampScale(Math.min(viewport.width / image.width, viewport.height / image.height));
}

/**
 * Keeps the image where the user can see it: centred along an axis where it is smaller than the
 * viewport, otherwise no empty band between an image edge and the viewport edge.
 */
export function clampPan(view: View, image: Size, viewport: Size): View {
  const clampAxis = (offset: number, imageLength: number, viewportLength: number): number => {
    const drawn = imageLength * view.scale;
    if (drawn <= viewportLength) return (viewportLength - drawn) / 2;
    return Math.min(0, Math.max(viewportLength - drawn, offset));
  };
  return {
    ...view,
    x: clampAxis(view.x, image.width, viewport.width),
    y: clampAxis(view.y, image.height, viewport.height),
  };
}

export function fitView(image: Size, viewport: Size): View {
  return clampPan({ scale: fitScale(image, viewport), x: 0, y: 0, fit: true }, image, viewport);
}

/** Zooms to `scale`, keeping the image point under (cx, cy) (viewport coordinates) where it is. */
export function zoomTo(view: View, scale: number, cx: number, cy: number, image: Size, viewport: Size): View {
  const next = clampScale(scale);
  const ratio = next / view.scale;
  return clampPan({ scale: next, x: cx - (cx - view.x) * ratio, y: cy - (cy - view.y) * ratio, fit: false }, image, viewport);
}

export function zoomBy(view: View, factor: number, cx: number, cy: number, image: Size, viewport: Size): View {
  return zoomTo(view, view.scale * factor, cx, cy, image, viewport);
}

/** Zoom factor for a wheel event: smooth for touchpads (small deltas), one step per mouse notch. */
export function wheelFactor(deltaY: number, deltaMode = 0): number {
  // Line mode (Firefox) reports 3 lines per notch; page mode one page.
  const pixels = deltaMode === 1 ? (deltaY * 100) / 3 : deltaMode === 2 ? deltaY * 100 : deltaY;
  const clamped = Math.max(-100, Math.min(100, pixels));
  return Math.pow(ZOOM_STEP, -clamped / 100);
}

/** 1:1 (one image pixel per device pixel), keeping the image point at the viewport centre in place. */
export function actualPixelsView(view: View, image: Size, viewport: Size, devicePixelRatio: number): View {
  const scale = 1 / (devicePixelRatio > 0 ? devicePixelRatio : 1);
  return zoomTo(view, scale, viewport.width / 2, viewport.height / 2, image, viewport);
}

export function panBy(view: View, dx: number, dy: number, image: Size, viewport: Size): View {
  return clampPan({ ...view, x: view.x + dx, y: view.y + dy, fit: false }, image, viewport);
}

/** Zoom as a percentage of actual pixels, e.g. 100 at 1:1. */
export function zoomPercent(view: View, devicePixelRatio: number): number {
  return Math.round(view.scale * (devicePixelRatio > 0 ? devicePixelRatio : 1) * 100);
}
