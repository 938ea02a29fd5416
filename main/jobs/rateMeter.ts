/** Items per second over a sliding window, and the ETA that follows from it. */
export interface RateMeter {
  sample(done: number, now?: number): void;
  rate(): number;
  eta(total: number | null, done: number): number | null;
}

export function createRateMeter(windowMs = 5000): RateMeter {
  const samples: { t: number; done: number }[] = [];
  return {
    sample(done, now = performance.now()) {
      samples.push({ t: now, done });
      // Keep one sample older than the window so the rate spans the whole window.
      while (samples.length > 2 && now - samples[1]!.t > windowMs) samples.shift();
    },
    rate() {
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (!first || !last || last.t <= first.t) return 0;
      return ((last.done - first.done) * 1000) / (last.t - first.t);
    },
    eta(total, done) {
      const r = this.rate();
      if (total === null || r <= 0) return null;
      return Math.max(0, (total - done) / r);
    },
  };
}
