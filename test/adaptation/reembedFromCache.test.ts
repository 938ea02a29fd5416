/**
 * Re-embedding from cached trunk features: the head pass over the trunk's output gives the vectors of
 * a full pass (decode aside) and costs far less; the trunk digest is shared by a parent and a child
 * adapted after the trunk, and changes when a trunk weight changes.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldOutScore } from '../../main/adaptation/heldOutScore';
import { embedFromTrunk } from '../../main/adaptation/reembedJob';
import { trunkShape } from '../../main/adaptation/trunkFeatureStore';
import { trunkKey } from '../../main/adaptation/trunkKey';
import { decodeTrunkRowInto, encodeTrunkRow } from '../../main/catalogue/repositories/trunkRowCodec';
import type { AdaptableModel } from '../../main/adaptation/adaptableModel';
import { adaptationFromStage, DEFAULT_ADAPTATION } from '../../main/ml/adaptation/fewShotAdapt';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet, type EmbeddingNet } from '../../main/ml/models/embeddingNet';
import { buildManifest } from '../../main/ml/package/modelPackage';
import { seededRandom, useWasmWithProjectKernels } from '../ml/wasmBackend';

const manifestOf = (net: EmbeddingNet) =>
  buildManifest(net, {
    name: 'm',
    preprocess: defaultPreprocessSpec(net.config.inputSize, net.config.channels),
    provenance: { stage: 'pretrain', datasets: [], parent: null, created: '2026-01-01', backend: 'test', trainingSeconds: 0, steps: 0, complete: true },
    metrics: { loss: [], validation: [], final: null },
  });

describe('re-embedding from cached trunk features', () => {
  let net: EmbeddingNet;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    // The shipped model's shape: Conv-4, 28 px grayscale.
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 28, channels: 1, seed: 3 });
  });
  afterAll(() => net.dispose());

  it('gives the vectors of a full pass, several times faster', () => {
    const fromStage = adaptationFromStage(net, DEFAULT_ADAPTATION.group);
    expect(fromStage).toBe(net.stages); // last stage + head adapt: stages before it are the cached trunk
    const model = { net, fromStage } as AdaptableModel;
    const count = 256;
    const random = seededRandom(5);
    const pixels = Float32Array.from({ length: count * 28 * 28 }, () => random() * 2 - 1);
    const images = tf.tensor4d(pixels, [count, 28, 28, 1]);
    const trunk = net.trunkFeatures(images, fromStage - 1);
    const features = new Float32Array(trunk.dataSync());
    const shape = trunkShape(net, fromStage);
    expect(trunk.shape.slice(1)).toEqual(shape);
    trunk.dispose();

    const time = (fn: () => Float32Array) => {
      fn(); // warm-up
      const started = performance.now();
      const out = fn();
      return { out, ms: performance.now() - started };
    };
    const full = time(() => {
      const out = tf.tidy(() => net.embed(images));
      const values = new Float32Array(out.dataSync());
      out.dispose();
      return values;
    });
    const head = time(() => embedFromTrunk(model, shape, features, count));
    images.dispose();
    let worst = 0;
    full.out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - head.out[i]!))));
    expect(worst).toBeLessThan(1e-5);
    expect(head.out.length).toBe(count * net.embeddingDim);
    expect(head.ms * 3).toBeLessThan(full.ms);
  });

  it('8-bit cached rows (the catalogue form) give the full pass\'s vectors closely at 84 px colour', () => {
    const colour = createEmbeddingNet({ arch: 'conv4', inputSize: 84, channels: 3, seed: 4 });
    const fromStage = adaptationFromStage(colour, DEFAULT_ADAPTATION.group);
    const model = { net: colour, fromStage } as AdaptableModel;
    const count = 16;
    const random = seededRandom(6);
    const images = tf.tensor4d(Float32Array.from({ length: count * 84 * 84 * 3 }, () => random() * 2 - 1), [count, 84, 84, 3]);
    const trunk = colour.trunkFeatures(images, fromStage - 1);
    const features = new Float32Array(trunk.dataSync());
    trunk.dispose();
    const shape = trunkShape(colour, fromStage);
    const rowLength = shape[0] * shape[1] * shape[2];
    const stored = new Float32Array(features.length);
    for (let i = 0; i < count; i++) decodeTrunkRowInto(encodeTrunkRow(features.subarray(i * rowLength, (i + 1) * rowLength)), stored, i * rowLength);
    const full = tf.tidy(() => colour.embed(images));
    const exact = full.dataSync();
    const fromStored = embedFromTrunk(model, shape, stored, count);
    let worst = 0;
    exact.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fromStored[i]!))));
    expect(worst).toBeLessThan(0.02); // unit vectors: cosine similarity above 0.999
    tf.dispose([full, images]);
    colour.dispose();
  });

  it('keys the trunk by its frozen weights: a child adapted after the trunk shares it, a changed trunk does not', () => {
    const manifest = manifestOf(net);
    const last = net.stages;
    const key = trunkKey(net, manifest, last);
    const lastStage = net.parameterNames('last-stage-head')[0]!;
    const original = net.variables.get(lastStage)!.clone();
    net.setWeights(new Map([[lastStage, tf.onesLike(original)]]));
    expect(trunkKey(net, manifest, last)).toBe(key);
    const firstConv = 'stage1/conv/kernel';
    const firstOriginal = net.variables.get(firstConv)!.clone();
    net.setWeights(new Map([[firstConv, tf.mul(firstOriginal, 1.01)]]));
    expect(trunkKey(net, manifest, last)).not.toBe(key);
    net.setWeights(new Map([[firstConv, firstOriginal], [lastStage, original]]));
    expect(trunkKey(net, manifest, last)).toBe(key);
    expect(trunkKey(net, manifest, 1)).not.toBe(key);
    original.dispose();
    firstOriginal.dispose();
  });
});

describe('held-out score', () => {
  it('is 1 when every held-out shot lies nearest its own support shots and falls when distractors come first', () => {
    // 1-d embeddings: class 0 near 0, class 1 near 10, one distractor.
    const gallery = new Float32Array([0, 0.1, 10, 10.1, 5]);
    const labels = [0, 0, 1, 1, null];
    const perfect = heldOutScore(new Float32Array([0.05, 10.05]), [0, 1], gallery, labels, 1)!;
    expect(perfect).toEqual({ mapAtR: 1, precisionAt5: 0.4, recallAt1: 1, queries: 2 });
    // The class-0 query sits at the distractor: rank 1 is a miss, its R=2 window holds one hit at rank 2.
    const worse = heldOutScore(new Float32Array([4.9]), [0], gallery, labels, 1)!;
    expect(worse.recallAt1).toBe(0);
    expect(worse.mapAtR).toBeCloseTo(0.25, 10);
    expect(heldOutScore(new Float32Array([1]), [7], gallery, labels, 1)).toBeNull();
  });
});
