/** One self-overwriting progress line on a TTY stream (nothing at all when the stream is not a TTY). */
import type { JobProgress } from '../../shared/rpc/contract';

export interface ProgressLine {
  update(progress: JobProgress): void;
  done(): void;
}

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function formatProgress(p: JobProgress): string {
  const total = p.total === null ? '?' : String(p.total);
  return `${p.done}/${total} files  ${p.imported} imported  ${p.skipped} skipped  ${p.failed} failed  ${p.rate.toFixed(1)} files/s  ETA ${formatEta(p.etaSeconds)}`;
}

export function createProgressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const enabled = stream.isTTY === true;
  let shown = false;
  return {
    update(progress) {
      if (!enabled) return;
      const line = formatProgress(progress).slice(0, Math.max(20, (stream.columns ?? 100) - 1));
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    done() {
      if (enabled && shown) stream.write('\n');
    },
  };
}
