/**
 * What each adaptable depth costs (issue 10 item 6), for the wizard's estimate: the adaptation's steps
 * and the re-embedding of the archive afterwards. A depth re-embeds from the trunk rows feeding its first
 * adapted stage: images with such a row cached run only the adapted stages (a head pass); the rest are
 * decoded from their files and run through the network. Rows larger than the cache's cap (an earlier
 * stage's) are never cached, so a deeper depth pays the from-files rate for the whole archive.
 * Rates come from earlier jobs on this machine where the catalogue has them, scaled between depths by a
 * compute proxy of the stages each one runs; otherwise built-in defaults.
 */
import type { AdaptEstimate } from '../../shared/rpc/contract';
import type { EmbeddingNet, ParameterGroup } from '../ml/models/embeddingNet';
import type { ModelManifest } from '../ml/package/manifest';
import { trunkShape } from './trunkFeatureStore';
import { MAX_CACHED_TRUNK_FLOATS, trunkKey } from './trunkKey';

export interface DepthInfo {
  group: ParameterGroup;
  fromStage: number;
  /** Trunk key of the rows this depth re-embeds from. */
  key: string;
  /** Whether such rows are ever cached (stage > 1 and within MAX_CACHED_TRUNK_FLOATS). */
  cacheable: boolean;
  /** Relative compute of the stages from fromStage on (multiply-adds proxy; only ratios are used). */
  cost: number;
}

export interface MeasuredRates {
  /** Seconds per (support image x step) by group, from the latest adapt jobs. */
  stepByGroup: Record<string, number>;
  /** The last re-embedding: per-image seconds outside the network, of the head pass, of computing a missing row. */
  reembed?: { fromStage?: number; perImage: number; headPerImage: number; computedPerImage?: number };
  /** The last full embedding: seconds per image (decode + whole network + writes). */
  embedPerImage?: number;
}

/** Head pass from a cached last-stage row (read, stage 4, head, write, index), 2 busy cores, wasm. */
export const DEFAULT_HEAD_SECONDS_PER_IMAGE = 0.001;
/** Decode + whole network + write per image (the embed job's order on 2 busy cores, wasm, Conv-4 84 px). */
export const DEFAULT_FULL_SECONDS_PER_IMAGE = 0.02;

const GROUPS: ParameterGroup[] = ['last-stage-head', 'last-two-stages-head', 'rectifiers', 'all'];

/** Stage, trunk key, cacheability and compute proxy of every group of a loaded network. */
export function depthCosts(net: EmbeddingNet, manifest: ModelManifest): DepthInfo[] {
  const shapes = Array.from({ length: net.stages + 2 }, (_, s) => (s >= 1 ? trunkShape(net, s) : ([0, 0, 0] as [number, number, number])));
  // Stage s: input side^2 x in-channels x out-channels (a 3x3 convolution's multiply-adds, up to a constant).
  const stageCost = (s: number) => {
    const [h, w, cin] = shapes[s]!;
    const cout = shapes[s + 1]![2];
    return h * w * cin * cout;
  };
  const costFrom = (fromStage: number) => {
    let total = 1; // the head and pooling: small, never zero
    for (let s = Math.max(1, fromStage); s <= net.stages; s++) total += stageCost(s);
    return total;
  };
  return GROUPS.map((group) => {
    const fromStage = net.firstStageOf(group);
    const [h, w, c] = shapes[Math.min(fromStage, net.stages + 1)]!;
    return { group, fromStage, key: trunkKey(net, manifest, fromStage), cacheable: fromStage > 1 && h * w * c <= MAX_CACHED_TRUNK_FLOATS, cost: costFrom(fromStage) };
  });
}

export interface EstimateDepthsInput {
  infos: readonly DepthInfo[];
  groups: readonly ParameterGroup[];
  supportImages: number;
  steps: number;
  archiveImages: number;
  /** Cached rows under a trunk key. */
  cachedRows(key: string): number;
  rates: MeasuredRates;
  defaultSecondsPerImageStep: number;
}

type DepthRow = NonNullable<AdaptEstimate['depths']>[number];

const round = (v: number) => Math.round(v * 100) / 100;

export function estimateDepths(input: EstimateDepthsInput): DepthRow[] {
  const { infos, rates } = input;
  const byGroup = new Map(infos.map((i) => [i.group, i]));
  const cheapest = [...infos].sort((a, b) => a.cost - b.cost)[0]!;
  const costAt = (fromStage: number | undefined) => infos.find((i) => i.fromStage === fromStage)?.cost ?? cheapest.cost;
  return input.groups.flatMap((group) => {
    const info = byGroup.get(group);
    if (!info) return [];
    let measured = false;
    // Adaptation: this depth's measured step rate, else another depth's scaled by compute, else the default scaled.
    let perStep = rates.stepByGroup[group];
    if (perStep !== undefined) measured = true;
    else {
      const other = Object.entries(rates.stepByGroup).find(([g]) => byGroup.has(g as ParameterGroup));
      if (other) {
        perStep = other[1] * (info.cost / byGroup.get(other[0] as ParameterGroup)!.cost);
        measured = true;
      } else perStep = input.defaultSecondsPerImageStep * (info.cost / cheapest.cost);
    }
    const adaptSeconds = input.supportImages * input.steps * perStep;
    // Re-embedding: a head pass on cached rows, the full cost for the rest.
    const cachedImages = info.cacheable ? Math.min(input.archiveImages, input.cachedRows(info.key)) : 0;
    const uncachedImages = Math.max(0, input.archiveImages - cachedImages);
    let headPerImage = DEFAULT_HEAD_SECONDS_PER_IMAGE * (info.cost / cheapest.cost);
    if (rates.reembed) {
      headPerImage = rates.reembed.perImage + rates.reembed.headPerImage * (info.cost / costAt(rates.reembed.fromStage));
      measured = true;
    }
    let fromFilesPerImage = DEFAULT_FULL_SECONDS_PER_IMAGE;
    if (rates.embedPerImage !== undefined) {
      fromFilesPerImage = rates.embedPerImage;
      measured = true;
    } else if (rates.reembed?.computedPerImage !== undefined) fromFilesPerImage = rates.reembed.computedPerImage + headPerImage;
    const reembedSeconds = cachedImages * headPerImage + uncachedImages * fromFilesPerImage;
    return [{ group, fromStage: info.fromStage, adaptSeconds: round(adaptSeconds), reembedSeconds: round(reembedSeconds), cachedImages, uncachedImages, measured }];
  });
}
