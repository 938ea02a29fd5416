/**
 * Trunk features of catalogued images for a (network, fromStage): read from the catalogue's cache,
 * the missing ones computed (decode -> preprocess -> frozen stages) and stored for next time.
 */
import * as tf from '@tensorflow/tfjs';
import type { Catalogue } from '../catalogue/catalogue';
import type { EmbeddingNet } from '../ml/models/embeddingNet';
import type { PreprocessSpec } from '../ml/data/preprocessSpec';
import type { Prepared } from '../search/searchEngine';
import { MAX_CACHED_TRUNK_FLOATS } from './trunkKey';

export interface FeatureSource {
  catalogue: Catalogue;
  net: EmbeddingNet;
  spec: PreprocessSpec;
  fromStage: number;
  key: string;
  prepareImage(imageId: number, spec: PreprocessSpec): Promise<Prepared>;
}

export interface ComputedFeatures {
  ids: number[];
  features: Float32Array;
  failures: { id: number; code: string; message: string }[];
}

/** Runs the frozen stages on the images, stores each row under the key; failed decodes are returned. */
export async function computeTrunkFeatures(source: FeatureSource, ids: readonly number[]): Promise<ComputedFeatures> {
  const { net, spec } = source;
  const inputLength = spec.inputSize * spec.inputSize * spec.channels;
  const prepared = await Promise.all(ids.map((id) => source.prepareImage(id, spec)));
  const okIds: number[] = [];
  const failures: ComputedFeatures['failures'] = [];
  const inputs = new Float32Array(ids.length * inputLength);
  prepared.forEach((result, i) => {
    const id = ids[i]!;
    if (!result.ok) return failures.push({ id, code: result.code, message: result.message });
    inputs.set(result.inputs, okIds.length * inputLength);
    okIds.push(id);
  });
  if (okIds.length === 0) return { ids: [], features: new Float32Array(0), failures };
  const out = tf.tidy(() => net.trunkFeatures(tf.tensor4d(inputs.subarray(0, okIds.length * inputLength), [okIds.length, spec.inputSize, spec.inputSize, spec.channels]), source.fromStage - 1));
  const features = new Float32Array(await out.data());
  out.dispose();
  // Rows the archive embedding would not cache either (the images themselves, or rows over the size cap, e.g.
  // a deeper adaptation's earlier stage) are used, not stored: the catalogue stays at its bounded size.
  if (source.fromStage > 1 && features.length / okIds.length <= MAX_CACHED_TRUNK_FLOATS) source.catalogue.trunkFeatures.putMany(source.key, okIds, features);
  return { ids: okIds, features, failures };
}

/** Feature rows of `ids` in order (cached or computed); ids that cannot be decoded are left out. */
export async function trunkFeaturesOf(source: FeatureSource, ids: readonly number[]): Promise<ComputedFeatures> {
  const rows = new Map<number, Float32Array>();
  const missing: number[] = [];
  for (const id of ids) {
    const row = source.catalogue.trunkFeatures.get(source.key, id);
    if (row) rows.set(id, row);
    else missing.push(id);
  }
  const failures: ComputedFeatures['failures'] = [];
  for (let start = 0; start < missing.length; start += 64) {
    const computed = await computeTrunkFeatures(source, missing.slice(start, start + 64));
    failures.push(...computed.failures);
    const length = computed.ids.length > 0 ? computed.features.length / computed.ids.length : 0;
    computed.ids.forEach((id, i) => rows.set(id, computed.features.slice(i * length, (i + 1) * length)));
  }
  const okIds = ids.filter((id) => rows.has(id));
  const length = okIds.length > 0 ? rows.get(okIds[0]!)!.length : 0;
  const features = new Float32Array(okIds.length * length);
  okIds.forEach((id, i) => features.set(rows.get(id)!, i * length));
  return { ids: okIds, features, failures };
}

/** Shape [h, w, c] of the trunk output that feeds `fromStage` (input side halves per conv4/resnet stage). */
export function trunkShape(net: EmbeddingNet, fromStage: number): [number, number, number] {
  const probe = tf.tidy(() => net.trunkFeatures(tf.zeros([1, net.config.inputSize, net.config.inputSize, net.config.channels]) as tf.Tensor4D, fromStage - 1));
  const shape: [number, number, number] = [probe.shape[1], probe.shape[2], probe.shape[3]];
  probe.dispose();
  return shape;
}
