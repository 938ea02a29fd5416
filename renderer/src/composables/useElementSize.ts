/** Reactive client size of an element (ResizeObserver where available, window resize otherwise). */
import type { Ref } from 'vue';
import { onBeforeUnmount, onMounted, shallowRef } from 'vue';

export function useElementSize(target: Ref<HTMLElement | null>): { width: Ref<number>; height: Ref<number>; measure(): void } {
  const width = shallowRef(0);
  const height = shallowRef(0);
  let observer: ResizeObserver | null = null;

  function measure(): void {
    const element = target.value;
    if (!element) return;
    width.value = element.clientWidth;
    height.value = element.clientHeight;
  }

  onMounted(() => {
    measure();
    if (typeof ResizeObserver !== 'undefined' && target.value) {
      observer = new ResizeObserver(() => measure());
      observer.observe(target.value);
    }
    window.addEventListener('resize', measure);
  });
  onBeforeUnmount(() => {
    observer?.disconnect();
    window.removeEventListener('resize', measure);
  });
  return { width, height, measure };
}
