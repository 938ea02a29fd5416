import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Episode } from '../../../main/ml/episodes/episodeSampler';
import { flipAveraged, flippedId, flippingInputs, mirrorInPlace } from '../../../main/ml/evaluation/flipAveraging';
import type { InputSource } from '../../../main/ml/evaluation/inputSource';
import { createMethods } from '../../../main/ml/evaluation/methods';
import { createEmbeddingNet, type EmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { seededRandom, useWasmWithProjectKernels } from '../wasmBackend';

const SIDE = 16;
const CHANNELS = 3;
const IMAGE = SIDE * SIDE * CHANNELS;

/** Images by id: 'a', 'b', ... are seeded noise; 'a-mirror' is 'a' mirrored by hand (reference). */
function images(): Map<string, Float32Array> {
  const random = seededRandom(3);
  const byId = new Map<string, Float32Array>();
  for (const id of ['a', 'b', 'c']) {
    const pixels = new Float32Array(IMAGE).map(() => random() * 2 - 1);
    byId.set(id, pixels);
    const mirror = new Float32Array(IMAGE);
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) for (let c = 0; c < CHANNELS; c++) mirror[(y * SIDE + x) * CHANNELS + c] = pixels[(y * SIDE + (SIDE - 1 - x)) * CHANNELS + c]!;
    byId.set(`${id}-mirror`, mirror);
  }
  return byId;
}

function memoryInputs(byId: Map<string, Float32Array>): InputSource<string> {
  return {
    async load(ids) {
      const out = new Float32Array(ids.length * IMAGE);
      ids.forEach((id, i) => out.set(byId.get(id) as Float32Array, i * IMAGE));
      return out;
    },
    failures: new Map(),
  };
}

describe('--tta flip', () => {
  let net: EmbeddingNet;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    net = createEmbeddingNet({ arch: 'conv4', inputSize: SIDE, channels: CHANNELS, widths: [8, 8, 8, 8], seed: 2 });
  });
  afterAll(() => net?.dispose());

  it('mirrors images left to right, and loads the mirror under flippedId', async () => {
    const byId = images();
    const copy = Float32Array.from(byId.get('a')!);
    mirrorInPlace(copy, 0, SIDE, CHANNELS);
    expect(copy).toEqual(byId.get('a-mirror'));
    const loaded = await flippingInputs(memoryInputs(byId), SIDE, CHANNELS).load(['b', flippedId('a'), 'c']);
    expect(loaded.subarray(0, IMAGE)).toEqual(byId.get('b'));
    expect(loaded.subarray(IMAGE, 2 * IMAGE)).toEqual(byId.get('a-mirror'));
    expect(loaded.subarray(2 * IMAGE)).toEqual(byId.get('c'));
  });

  it('gives an image and its mirror the same unit embedding, which the plain network does not', async () => {
    const inputs = flippingInputs(memoryInputs(images()), SIDE, CHANNELS);
    const made = createMethods(['dml'], { net, inputs, seed: 1 });
    if (!made.ok) throw new Error(made.message);
    const episode = { classes: [], support: [], query: [] } as unknown as Episode<string>;
    const plain = await (await made.methods[0]!.prepare(episode)).embed(['a', 'a-mirror']);
    const averaged = await (await flipAveraged(made.methods[0]!).prepare(episode)).embed(['a', 'a-mirror', 'b']);
    const distance = (u: Float32Array, v: Float32Array) => Math.hypot(...u.map((x, i) => x - v[i]!));
    expect(distance(plain[0]!, plain[1]!)).toBeGreaterThan(1e-3);
    expect(distance(averaged[0]!, averaged[1]!)).toBeLessThan(1e-5);
    expect(distance(averaged[0]!, averaged[2]!)).toBeGreaterThan(1e-3);
    for (const row of averaged) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    made.methods[0]!.dispose?.();
  });
});
