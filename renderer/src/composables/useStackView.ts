/**
 * State of the stack viewer for one series (`library.series`): the slices in slice order (frames of a
 * multi-frame instance are slices too), the slice shown, cine (play/stop, frames per second, loops) and
 * the DICOM view that renders the slice. The window the analyst chose (drag, preset) stays when the
 * slice changes: a new instance is loaded with the previous window, a frame of the same instance is
 * only rendered again. Plain-image series (an image folder) show the display rendition by id.
 */
import type { ComputedRef, Ref } from 'vue';
import { computed, shallowRef } from 'vue';
import type { ResponseOf } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { buildStack, cineNext, CINE_FPS, clampFps, clampSlice, stepSlice } from './stack';
import type { StackSlice } from './stack';
import { createDicomView } from './useDicomView';
import type { DicomView } from './useDicomView';
import { errorMessage } from './useClient';

export type SeriesAnswer = ResponseOf<'library.series'>;

export interface StackView {
  series: Ref<SeriesAnswer | null>;
  slices: Ref<StackSlice[]>;
  index: Ref<number>;
  current: ComputedRef<StackSlice | null>;
  /** Slices are rendered by main with a window (DICOM), or shown as stored (an image folder). */
  isDicom: ComputedRef<boolean>;
  dicom: DicomView;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  playing: Ref<boolean>;
  fps: Ref<number>;
  open(seriesId: number): Promise<void>;
  go(index: number): void;
  step(delta: number): void;
  play(): void;
  stop(): void;
  togglePlay(): void;
  setFps(fps: number): void;
  dispose(): void;
}

export interface StackViewOptions {
  dragRenderMs?: number;
  /** Timer functions (tests drive cine by hand). */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

export function createStackView(client: SimilaClient, options: StackViewOptions = {}): StackView {
  const series = shallowRef<SeriesAnswer | null>(null);
  const slices = shallowRef<StackSlice[]>([]);
  const index = shallowRef(0);
  const loading = shallowRef(false);
  const error = shallowRef<string | null>(null);
  const playing = shallowRef(false);
  const fps = shallowRef<number>(CINE_FPS.default);
  const dicom = createDicomView(client, { dragRenderMs: options.dragRenderMs });
  const isDicom = computed(() => series.value !== null && series.value.series.kind !== 'folder');
  const current = computed(() => slices.value[index.value] ?? null);
  const startTimer = options.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
  const stopTimer = options.clearInterval ?? ((handle: unknown) => clearInterval(handle as ReturnType<typeof setInterval>));
  let timer: unknown = null;
  let ticket = 0;

  function show(): void {
    const slice = current.value;
    if (!slice || !isDicom.value) return;
    if (dicom.imageId() === slice.imageId && dicom.info.value) {
      // Another frame of the instance on screen: render it with the same window.
      dicom.step(slice.frame - dicom.frame.value);
      return;
    }
    void dicom.load(slice.imageId, { frame: slice.frame, keepWindow: true });
  }

  function go(next: number): void {
    const clamped = clampSlice(next, slices.value.length);
    if (clamped === index.value && dicom.imageId() !== null) return;
    index.value = clamped;
    show();
  }

  function restartTimer(): void {
    if (timer !== null) stopTimer(timer);
    timer = null;
    if (!playing.value) return;
    timer = startTimer(() => {
      const length = slices.value.length;
      if (length <= 1) return;
      index.value = cineNext(index.value, length);
      show();
    }, 1000 / fps.value);
  }

  function stop(): void {
    playing.value = false;
    restartTimer();
  }

  return {
    series,
    slices,
    index,
    current,
    isDicom,
    dicom,
    loading,
    error,
    playing,
    fps,
    async open(seriesId) {
      const mine = ++ticket;
      stop();
      loading.value = true;
      error.value = null;
      try {
        const answer = await client.call('library.series', { seriesId });
        if (mine !== ticket) return;
        series.value = answer;
        slices.value = buildStack(answer.instances);
        // Open at the middle slice, as the series tile shows it.
        const middle = slices.value.findIndex((s) => s.imageId === answer.series.middleImageId);
        index.value = clampSlice(middle >= 0 ? middle : 0, slices.value.length);
        dicom.dispose();
        show();
      } catch (e) {
        if (mine === ticket) error.value = errorMessage(e);
      } finally {
        if (mine === ticket) loading.value = false;
      }
    },
    go,
    step(delta) {
      go(stepSlice(index.value, delta, slices.value.length));
    },
    play() {
      if (slices.value.length <= 1) return;
      playing.value = true;
      restartTimer();
    },
    stop,
    togglePlay() {
      if (playing.value) stop();
      else if (slices.value.length > 1) {
        playing.value = true;
        restartTimer();
      }
    },
    setFps(next) {
      fps.value = clampFps(next);
      restartTimer();
    },
    dispose() {
      ticket++;
      stop();
      dicom.dispose();
    },
  };
}
