/**
 * The identity of a network's frozen trunk: a digest of the weights of the stages before `fromStage`
 * (convolutions, batch norm, statistics and rectifiers) and the preprocessing that feeds them. A
 * parent and every child adapted after the trunk share the digest, so they share cached trunk features.
 */
import { createHash } from 'node:crypto';
import type { EmbeddingNet } from '../ml/models/embeddingNet';
import type { ModelManifest } from '../ml/package/manifest';
import { cheapestGroupOf } from '../ml/adaptation/fewShotAdapt';
import { adaptationConfigOf } from './adaptableModel';

/**
 * Largest trunk row (values per image) the archive embedding caches: stored at 8 bits per value
 * (trunkRowCodec.ts), 8 KB per image, 0.8 GB per 100k. Conv-4 at 84 px (6,400 values) fits.
 */
export const MAX_CACHED_TRUNK_FLOATS = 8192;

export interface TrunkSpec {
  key: string;
  /** The first stage after the trunk (the model's adaptable group starts there). */
  fromStage: number;
}

/**
 * The trunk of a model's configured adaptation (what its children will re-embed from); with 'auto', the
 * cheapest candidate's (a child that chose a deeper one re-embeds from an earlier stage, computing its rows).
 */
export function trunkSpecOf(net: EmbeddingNet, manifest: ModelManifest): TrunkSpec {
  const fromStage = net.firstStageOf(cheapestGroupOf(net, adaptationConfigOf(manifest).group));
  return { key: trunkKey(net, manifest, fromStage), fromStage };
}

export function trunkKey(net: EmbeddingNet, manifest: ModelManifest, fromStage: number): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ arch: manifest.architecture, preprocess: manifest.preprocess, fromStage }));
  const frozen = net.parameters.filter((p) => p.kind !== 'head' && p.stage >= 1 && p.stage < fromStage).sort((a, b) => a.name.localeCompare(b.name));
  for (const info of frozen) {
    const variable = net.variables.get(info.name);
    if (!variable) continue;
    const values = variable.dataSync() as Float32Array;
    hash.update(`${info.name}:${variable.shape.join('x')}:`);
    hash.update(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  return `${fromStage}-${hash.digest('hex').slice(0, 32)}`;
}
