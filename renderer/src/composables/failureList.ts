/** The failed-files list of an import (pure): reasons with counts, a reason filter, and pages. */
import type { ImportFailure } from '@shared/rpc/contract';

export interface ReasonCount {
  code: string;
  count: number;
}

/** Reason codes, most frequent first (ties by name, so the order is stable while counts grow). */
export function reasonCounts(failures: readonly ImportFailure[]): ReasonCount[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return [...counts]
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

export interface FailurePage {
  items: ImportFailure[];
  /** Zero-based page actually shown (clamped). */
  page: number;
  pages: number;
  /** Failures that match the filter. */
  matching: number;
}

/** One page of the failures with `code` (null: every reason). */
export function failurePage(failures: readonly ImportFailure[], code: string | null, page: number, pageSize: number): FailurePage {
  const matching = code === null ? failures : failures.filter((f) => f.code === code);
  const size = Math.max(1, Math.floor(pageSize));
  const pages = Math.max(1, Math.ceil(matching.length / size));
  const shown = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  return { items: matching.slice(shown * size, shown * size + size), page: shown, pages, matching: matching.length };
}
