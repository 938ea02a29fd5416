/**
 * State of the DICOM viewer for one image: header facts (`dicom.info`), the frame, the window, invert
 * and the tag overlay, and the rendered frame from main (`dicom.render`). Renders while dragging are
 * throttled, and only the newest answer is shown, so a slow render never overwrites a newer window.
 */
import type { Ref } from 'vue';
import { shallowRef } from 'vue';
import type { DicomInfo, DicomWindow } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { errorMessage } from './useClient';
import { throttle } from './throttle';
import { dragSensitivity, dragWindow, stepFrame } from './dicomWindow';

/** While dragging, at most one render request per this many ms (plus a trailing one). */
export const DRAG_RENDER_MS = 80;

export interface DicomView {
  info: Ref<DicomInfo | null>;
  frame: Ref<number>;
  /** The window asked for (null until the first render says which default applied). */
  window: Ref<DicomWindow | null>;
  /** The window main applied to the frame on screen (null for colour or a VOI LUT). */
  applied: Ref<DicomWindow | null>;
  invert: Ref<boolean>;
  showTags: Ref<boolean>;
  /** data: URL of the frame on screen. */
  png: Ref<string | null>;
  error: Ref<string | null>;
  /**
   * Shows image `id`. The stack viewer keeps the window (and invert) the analyst chose across slices and
   * opens a multi-frame instance at a given frame; the plain viewer starts afresh with main's default.
   */
  load(id: number, options?: DicomLoadOptions): Promise<void>;
  /** The image shown (null before the first load or after dispose). */
  imageId(): number | null;
  setWindow(window: DicomWindow): void;
  resetWindow(): void;
  beginDrag(): void;
  drag(dx: number, dy: number): void;
  endDrag(): void;
  step(delta: number): void;
  toggleInvert(): void;
  toggleTags(): void;
  dispose(): void;
}

export interface DicomLoadOptions {
  frame?: number;
  keepWindow?: boolean;
}

export function createDicomView(client: SimilaClient, options: { dragRenderMs?: number } = {}): DicomView {
  const info = shallowRef<DicomInfo | null>(null);
  const frame = shallowRef(0);
  const window = shallowRef<DicomWindow | null>(null);
  const applied = shallowRef<DicomWindow | null>(null);
  const invert = shallowRef(false);
  const showTags = shallowRef(false);
  const png = shallowRef<string | null>(null);
  const error = shallowRef<string | null>(null);
  let imageId: number | null = null;
  let ticket = 0;
  let dragStart: DicomWindow | null = null;

  async function render(): Promise<void> {
    const id = imageId;
    if (id === null || !info.value) return;
    const mine = ++ticket;
    try {
      const rendered = await client.call('dicom.render', {
        id,
        frame: frame.value,
        ...(window.value ? { window: { center: window.value.center, width: window.value.width, fn: window.value.fn } } : {}),
        invert: invert.value,
      });
      if (mine !== ticket) return;
      png.value = rendered.png;
      applied.value = rendered.window;
      // The first render tells which default window main chose: drags start from there.
      if (!window.value && rendered.window) window.value = rendered.window;
      error.value = null;
    } catch (e) {
      if (mine === ticket) error.value = errorMessage(e);
    }
  }
  const renderWhileDragging = throttle(() => void render(), options.dragRenderMs ?? DRAG_RENDER_MS);

  function headerWindow(): DicomWindow | null {
    const first = info.value?.presets[0];
    return first ? { center: first.center, width: first.width, fn: first.fn } : null;
  }

  return {
    info,
    frame,
    window,
    applied,
    invert,
    showTags,
    png,
    error,
    async load(id, loadOptions = {}) {
      imageId = id;
      ticket++;
      renderWhileDragging.cancel();
      const keep = loadOptions.keepWindow === true;
      const kept = keep ? (window.value ?? applied.value) : null;
      info.value = null;
      // Stepping through a stack keeps the previous slice on screen until the next one arrives.
      if (!keep) png.value = null;
      applied.value = null;
      window.value = kept;
      frame.value = Math.max(0, loadOptions.frame ?? 0);
      error.value = null;
      try {
        const loaded = await client.call('dicom.info', { id });
        if (imageId !== id) return;
        info.value = loaded;
        // The first view asks for no window: main picks the default (the header's where it suits the
        // data, else a CT default or a body window) and says which; R still gives the header's own.
        window.value = kept && loaded.monochrome ? kept : null;
        if (frame.value >= loaded.frames) frame.value = Math.max(0, loaded.frames - 1);
        await render();
      } catch (e) {
        if (imageId === id) error.value = errorMessage(e);
      }
    },
    imageId: () => imageId,
    setWindow(next) {
      if (!info.value?.monochrome) return;
      window.value = next;
      void render();
    },
    resetWindow() {
      // No header window: let main choose its automatic one again.
      window.value = headerWindow();
      void render();
    },
    beginDrag() {
      dragStart = window.value ?? applied.value;
    },
    drag(dx, dy) {
      if (!dragStart || !info.value?.monochrome) return;
      window.value = dragWindow(dragStart, dx, dy, dragSensitivity(info.value.valueRange));
      renderWhileDragging();
    },
    endDrag() {
      dragStart = null;
    },
    step(delta) {
      const frames = info.value?.frames ?? 1;
      const next = stepFrame(frame.value, delta, frames);
      if (next === frame.value) return;
      frame.value = next;
      void render();
    },
    toggleInvert() {
      if (!info.value) return;
      invert.value = !invert.value;
      void render();
    },
    toggleTags() {
      showTags.value = !showTags.value;
    },
    dispose() {
      imageId = null;
      ticket++;
      renderWhileDragging.cancel();
    },
  };
}

