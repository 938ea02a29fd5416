/**
 * `simila eval --norm-stats archive[:N]`: before the episodes, every network a method runs on gets its
 * batch-norm statistics re-estimated on N images sampled (seeded) from the evaluated data set, labels
 * unused (main/ml/models/normStatistics.ts). It stands for what the product could do with an analyst's
 * archive, which is there unlabelled before any search.
 */
// Types only at the top: the CLI parses --norm-stats before the ML engine loads.
import type { EmbeddingNet } from '../models/embeddingNet';
import type { InputSource } from './inputSource';

export interface NormStatisticsSpec {
  source: 'archive';
  /** Images sampled from the archive (undefined: DEFAULT_NORM_STATISTICS_IMAGES, 512). */
  images?: number;
}

export type NormStatisticsSpecResult = { ok: true; spec: NormStatisticsSpec } | { ok: false; message: string };

/** 'archive' or 'archive:N' (N >= 2 images; without N the re-estimation's default, 512). */
export function parseNormStatisticsSpec(value: string): NormStatisticsSpecResult {
  const match = /^archive(?::(\d+))?$/.exec(value.trim());
  if (!match) return { ok: false, message: `--norm-stats ${value}: expected archive or archive:N (N images sampled from the evaluated set)` };
  if (match[1] === undefined) return { ok: true, spec: { source: 'archive' } };
  const images = Number(match[1]);
  if (!Number.isSafeInteger(images) || images < 2) return { ok: false, message: `--norm-stats ${value}: N must be a whole number >= 2` };
  return { ok: true, spec: { source: 'archive', images } };
}

/** What the report records about the re-estimation. */
export interface NormStatisticsRecord {
  source: 'archive';
  images_requested: number;
  images_used: number;
  seed: number;
  /** Where the images came from: the evaluated set, or other sets (a control, e.g. the base data). */
  from: string[] | 'evaluated set';
  /** Networks re-estimated so far (the evaluated one, and those methods load: random, stage-1 parent, ...). */
  networks: number;
  seconds: number;
}

/**
 * A network transform for the run: re-estimates statistics on the archive's images (ids only; the
 * labels are never read) and records what it did. The returned network is new; the input is untouched.
 */
export function archiveNormaliser<Id>(
  ids: readonly Id[],
  inputs: InputSource<Id>,
  spec: NormStatisticsSpec,
  seed: number,
  options: { batchSize?: number; from?: string[] } = {},
): { normalise: (net: EmbeddingNet) => Promise<EmbeddingNet>; record: NormStatisticsRecord } {
  const batchSize = options.batchSize;
  const record: NormStatisticsRecord = { source: spec.source, images_requested: spec.images ?? 0, images_used: 0, from: options.from ?? 'evaluated set', seed, networks: 0, seconds: 0 };
  return {
    record,
    async normalise(net) {
      const started = performance.now();
      const { DEFAULT_NORM_STATISTICS_IMAGES, reestimateNormStatistics } = await import('../models/normStatistics');
      record.images_requested = spec.images ?? DEFAULT_NORM_STATISTICS_IMAGES;
      const result = await reestimateNormStatistics(net, { ids, load: (chunk) => inputs.load(chunk) }, { images: spec.images, seed, batchSize });
      record.images_used = result.sample.length;
      record.networks++;
      record.seconds = Math.round((record.seconds + (performance.now() - started) / 1000) * 10) / 10;
      return result.net;
    },
  };
}
