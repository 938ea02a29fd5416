import { describe, expect, it } from 'vitest';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';
import { archiveNormaliser, parseNormStatisticsSpec } from '../../../main/ml/evaluation/archiveNormalisation';
import { evaluate } from '../../../main/ml/evaluation/evaluate';
import { preprocessedInputs } from '../../../main/ml/evaluation/inputSource';
import { createMethods } from '../../../main/ml/evaluation/methods';
import type { EmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { useShapesPool } from './support/shapesFolder';

const shapes = useShapesPool('normstats', 5, 8);
const inputs = preprocessedInputs<string>(defaultPreprocessSpec(28, 3), (id) => id);

describe('--norm-stats archive[:N]', () => {
  it('parses archive and archive:N, and refuses anything else', () => {
    expect(parseNormStatisticsSpec('archive')).toEqual({ ok: true, spec: { source: 'archive' } });
    expect(parseNormStatisticsSpec('archive:128')).toEqual({ ok: true, spec: { source: 'archive', images: 128 } });
    for (const bad of ['archive:1', 'archive:', 'archive:x', 'support', 'archive:12.5']) expect(parseNormStatisticsSpec(bad).ok).toBe(false);
  });

  it('re-estimates the evaluated network and every network a method makes, from ids only, and records it', async () => {
    const ids = shapes.pool().map((item) => item.itemId);
    const normaliser = archiveNormaliser(ids, inputs, { source: 'archive', images: 30 }, 1);
    const normalised = await normaliser.normalise(shapes.net());
    expect(normaliser.record).toMatchObject({ source: 'archive', images_requested: 30, images_used: 30, from: 'evaluated set', seed: 1, networks: 1 });
    const mean = (n: EmbeddingNet) => Array.from(n.variables.get('stage1/bn/movingMean')!.dataSync());
    expect(mean(normalised)).not.toEqual(mean(shapes.net()));

    const report = async (prepareNet?: (n: EmbeddingNet) => Promise<EmbeddingNet>) => {
      const made = createMethods(['random', 'dml'], { net: prepareNet ? normalised : shapes.net(), inputs, seed: 3, prepareNet });
      if (!made.ok) throw new Error(made.message);
      try {
        const result = await evaluate({ pool: shapes.pool(), methods: made.methods, seed: 3, way: 4, shot: 2, queries: 4, episodes: 3 });
        if (!result.ok) throw new Error(result.message);
        return result.report.results;
      } finally {
        for (const m of made.methods) m.dispose?.();
      }
    };
    const plain = await report();
    const withStats = await report(normaliser.normalise);
    // The random network was re-estimated too (a second network), so its figures moved.
    expect(normaliser.record.networks).toBe(2);
    expect(withStats[0]!.method).toBe('random');
    expect(withStats[0]!.map).not.toBe(plain[0]!.map);
    expect(withStats[1]!.map).not.toBe(plain[1]!.map);
    normalised.dispose();
  });
});
