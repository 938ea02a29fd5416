/**
 * The wizard's cost per adaptable depth (issue 10 item 6): both depths' adaptation and re-embedding
 * seconds, head-only for cached rows and from the files for the rest, with measured rates where the
 * catalogue has them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depthCosts, estimateDepths, DEFAULT_FULL_SECONDS_PER_IMAGE, type DepthInfo } from '../../main/adaptation/depthEstimate';
import { createEmbeddingNet, type EmbeddingNet } from '../../main/ml/models/embeddingNet';
import type { ModelManifest } from '../../main/ml/package/manifest';
import { useWasmWithProjectKernels } from '../ml/wasmBackend';

const infos: DepthInfo[] = [
  { group: 'last-stage-head', fromStage: 4, key: 'k4', cacheable: true, cost: 100 },
  { group: 'last-two-stages-head', fromStage: 3, key: 'k3', cacheable: false, cost: 500 },
  { group: 'rectifiers', fromStage: 1, key: 'k1', cacheable: false, cost: 3000 },
];
const base = { infos, supportImages: 25, steps: 10, archiveImages: 1000, cachedRows: (key: string) => (key === 'k4' ? 800 : 0), defaultSecondsPerImageStep: 0.001 };

describe('cost per adaptation depth', () => {
  it('reports both depths: head-only for the cached rows, from the files for the rest and for an uncacheable trunk', () => {
    const rates = { stepByGroup: { 'last-stage-head': 0.002 }, reembed: { fromStage: 4, perImage: 0.0005, headPerImage: 0.0005 }, embedPerImage: 0.01 };
    const [shallow, deep] = estimateDepths({ ...base, groups: ['last-stage-head', 'last-two-stages-head'], rates });
    expect(shallow).toMatchObject({ group: 'last-stage-head', fromStage: 4, cachedImages: 800, uncachedImages: 200, measured: true });
    expect(shallow!.adaptSeconds).toBeCloseTo(25 * 10 * 0.002);
    expect(shallow!.reembedSeconds).toBeCloseTo(800 * 0.001 + 200 * 0.01, 1);
    // Deeper: no cached rows of stage 2's output (over the cache's size cap); its steps cost 5x by compute.
    expect(deep).toMatchObject({ group: 'last-two-stages-head', fromStage: 3, cachedImages: 0, uncachedImages: 1000, measured: true });
    expect(deep!.adaptSeconds).toBeCloseTo(25 * 10 * 0.002 * 5);
    expect(deep!.reembedSeconds).toBeCloseTo(1000 * 0.01);
    expect(deep!.reembedSeconds).toBeGreaterThan(shallow!.reembedSeconds);
  });

  it('uses a depth\'s own measured step rate, and defaults (said so) where nothing was measured', () => {
    const [deep] = estimateDepths({ ...base, groups: ['last-two-stages-head'], rates: { stepByGroup: { 'last-stage-head': 0.002, 'last-two-stages-head': 0.004 } } });
    expect(deep!.adaptSeconds).toBeCloseTo(25 * 10 * 0.004);
    const [fresh] = estimateDepths({ ...base, groups: ['rectifiers'], rates: { stepByGroup: {} } });
    expect(fresh!.measured).toBe(false);
    expect(fresh!.adaptSeconds).toBeCloseTo(25 * 10 * 0.001 * 30);
    expect(fresh!.reembedSeconds).toBeCloseTo(1000 * DEFAULT_FULL_SECONDS_PER_IMAGE);
  });

  describe('on Conv-4 at 84 px', () => {
    let net: EmbeddingNet;
    beforeAll(async () => {
      await useWasmWithProjectKernels();
      net = createEmbeddingNet({ arch: 'conv4', inputSize: 84, channels: 3, seed: 1 });
    });
    afterAll(() => net.dispose());

    it('caches only the last stage\'s rows (stage 3 input is over the cap) and orders the compute by depth', () => {
      const manifest = { architecture: net.config, preprocess: { inputSize: 84, channels: 3 } } as unknown as ModelManifest;
      const costs = Object.fromEntries(depthCosts(net, manifest).map((d) => [d.group, d]));
      expect(costs['last-stage-head']).toMatchObject({ fromStage: 4, cacheable: true });
      expect(costs['last-two-stages-head']).toMatchObject({ fromStage: 3, cacheable: false });
      expect(costs.rectifiers).toMatchObject({ fromStage: 1, cacheable: false });
      expect(costs['last-stage-head']!.cost).toBeLessThan(costs['last-two-stages-head']!.cost);
      expect(costs['last-two-stages-head']!.cost).toBeLessThan(costs.rectifiers!.cost);
      expect(costs['last-stage-head']!.key).not.toBe(costs['last-two-stages-head']!.key);
    });
  });
});
