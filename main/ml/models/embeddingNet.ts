import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, type Architecture } from './architectures';
import type { Backbone } from './backbone';
import { buildConv4 } from './conv4';
import { buildDwsConv4 } from './dwsconv4';
import { blendRunningStatistics, seedSequence, type BatchStatisticsSink, type ForwardContext, type ParameterReader } from './layers';
import { heNormal, ParameterStore, type ParameterInfo } from './parameterStore';
import { buildResNet12 } from './resnet12';

export { ARCHITECTURES, type Architecture };

export interface EmbeddingNetConfig {
  arch: Architecture;
  /** Square input side in pixels (default 84). */
  inputSize?: number;
  /** 1 for grayscale, 3 for RGB (default 3). */
  channels?: 1 | 3;
  /** Channels per stage (conv4 default 64x4; resnet12 default 64-128-256-512; dwsconv4 default 32-64-128-256). */
  widths?: number[];
  /** Output size of the linear projection head; 0 = no head, embed the pooled features (default 0). */
  projectionDim?: number;
  /** Seed of the weight initialisation (default 1). */
  seed?: number;
}

export type ResolvedConfig = Required<EmbeddingNetConfig>;

/**
 * Adaptable parameter groups of the method (DESIGN §1): the whole network, the last backbone stage
 * plus the head, the last two stages plus the head (deeper, for domains far from the base data), or
 * only the channel rectifiers (per-channel scale/shift on frozen convolutions).
 */
export type ParameterGroup = 'all' | 'last-stage-head' | 'last-two-stages-head' | 'rectifiers';
export const PARAMETER_GROUPS = ['all', 'last-stage-head', 'last-two-stages-head', 'rectifiers'] as const satisfies readonly ParameterGroup[];

export interface ForwardOptions {
  /** Batch statistics and running-average updates (default false: inference). */
  training?: boolean;
  /** Update batch-norm running averages; defaults to `training`. Off in MAML inner loops. */
  updateStatistics?: boolean;
  /** Hand each batch-norm layer's batch statistics here instead of updating the running averages. */
  statisticsSink?: BatchStatisticsSink;
  /** Substitute tensors for some parameters by short name (MAML's adapted weights theta'). */
  overrides?: ReadonlyMap<string, tf.Tensor>;
}

export interface EmbeddingNet {
  readonly config: ResolvedConfig;
  /** Size of the L2-normalised embedding. */
  readonly embeddingDim: number;
  readonly parameters: readonly ParameterInfo[];
  /** All variables by short name, running statistics included (for saving). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** Short names of the trainable parameters in a group. */
  parameterNames(group: ParameterGroup): string[];
  /** Variables of a group, ready for optimizer.minimize(f, true, varList). */
  groupVariables(group: ParameterGroup): tf.Variable[];
  /** Images [B,H,W,C] -> L2-normalised embeddings [B, embeddingDim]. */
  embed(images: tf.Tensor4D, options?: ForwardOptions): tf.Tensor2D;
  /** Backbone stages (the head, if any, counts as stage `stages + 1` for splitting). */
  readonly stages: number;
  /**
   * First stage that holds a parameter of the group (stages + 1 for a head-only group): everything
   * before it is frozen while that group adapts, so its output can be computed once and cached.
   */
  firstStageOf(group: ParameterGroup): number;
  /** The frozen trunk: stages 1..untilStage in inference mode -> feature map (untilStage 0 = the images). */
  trunkFeatures(images: tf.Tensor4D, untilStage: number): tf.Tensor4D;
  /**
   * Trunk rows for a later stage from rows of an earlier one: the frozen stages fromStage..toStage - 1 in
   * inference mode (input = output of stage fromStage - 1; result feeds toStage). toStage <= fromStage: a copy.
   */
  advanceTrunk(features: tf.Tensor4D, fromStage: number, toStage: number): tf.Tensor4D;
  /** The rest of `embed` from a trunk's output: stages fromStage..last, pooling, head, L2 norm. */
  embedFromStage(features: tf.Tensor4D, fromStage: number, options?: ForwardOptions): tf.Tensor2D;
  /** Folds averaged batch statistics of a batch-norm layer into its running averages (one momentum step). */
  blendStatistics(layer: string, mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D): void;
  /** Copies weights in by short name (shapes must match); returns names that were not found. */
  setWeights(weights: ReadonlyMap<string, tf.Tensor>): string[];
  dispose(): void;
}

const DEFAULT_WIDTHS: Record<Architecture, number[]> = { conv4: [64, 64, 64, 64], resnet12: [64, 128, 256, 512], dwsconv4: [32, 64, 128, 256] };
const BUILDERS = { conv4: buildConv4, resnet12: buildResNet12, dwsconv4: buildDwsConv4 } satisfies Record<Architecture, unknown>;

export function resolveConfig(config: EmbeddingNetConfig): ResolvedConfig {
  return {
    arch: config.arch,
    inputSize: config.inputSize ?? 84,
    channels: config.channels ?? 3,
    widths: config.widths ?? DEFAULT_WIDTHS[config.arch],
    projectionDim: config.projectionDim ?? 0,
    seed: config.seed ?? 1,
  };
}

/** Builds a network with freshly initialised weights (seeded). */
export function createEmbeddingNet(config: EmbeddingNetConfig): EmbeddingNet {
  const resolved = resolveConfig(config);
  const minSide = 2 ** resolved.widths.length;
  if (resolved.inputSize < minSide) throw new Error(`inputSize ${resolved.inputSize} is below ${minSide} px, the size ${resolved.widths.length} poolings need`);
  const store = new ParameterStore();
  const build = BUILDERS[resolved.arch];
  if (!build) throw new Error(`unknown architecture ${String(resolved.arch)} (${ARCHITECTURES.join(', ')})`);
  const backbone = build(store, resolved.channels, resolved.widths, resolved.seed);
  const head = resolved.projectionDim > 0;
  if (head) {
    store.add({ name: 'head/kernel', stage: 0, kind: 'head', trainable: true }, heNormal([backbone.featureChannels, resolved.projectionDim], backbone.featureChannels, seedSequence(resolved.seed + 7919)()));
    store.add({ name: 'head/bias', stage: 0, kind: 'head', trainable: true }, tf.zeros([resolved.projectionDim]));
  }
  return new FunctionalEmbeddingNet(resolved, store, backbone, head);
}

/** tfjs-models style factory; weights may then be replaced with setWeights. */
export async function load(config: EmbeddingNetConfig): Promise<EmbeddingNet> {
  return createEmbeddingNet(config);
}

class FunctionalEmbeddingNet implements EmbeddingNet {
  readonly embeddingDim: number;

  constructor(
    readonly config: ResolvedConfig,
    private readonly store: ParameterStore,
    private readonly backbone: Backbone,
    private readonly hasHead: boolean,
  ) {
    this.embeddingDim = hasHead ? config.projectionDim : backbone.featureChannels;
  }

  get parameters(): readonly ParameterInfo[] {
    return this.store.infos;
  }

  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.store.variables;
  }

  parameterNames(group: ParameterGroup): string[] {
    const last = this.backbone.stages;
    return this.store.infos
      .filter((p) => p.trainable)
      .filter((p) => {
        if (group === 'rectifiers') return p.kind === 'rectifier';
        // Rectifiers start as identity and belong to their own group only.
        if (p.kind === 'rectifier') return false;
        if (group === 'last-two-stages-head') return p.stage >= last - 1 || p.kind === 'head';
        return group === 'all' || p.stage === last || p.kind === 'head';
      })
      .map((p) => p.name);
  }

  groupVariables(group: ParameterGroup): tf.Variable[] {
    return this.parameterNames(group).map((name) => this.store.get(name));
  }

  get stages(): number {
    return this.backbone.stages;
  }

  firstStageOf(group: ParameterGroup): number {
    const names = new Set(this.parameterNames(group));
    const stages = this.store.infos.filter((p) => names.has(p.name)).map((p) => (p.kind === 'head' ? this.backbone.stages + 1 : p.stage));
    return stages.length > 0 ? Math.min(...stages) : this.backbone.stages + 1;
  }

  trunkFeatures(images: tf.Tensor4D, untilStage: number): tf.Tensor4D {
    const ctx = this.context({});
    return tf.tidy(() => (untilStage < 1 ? images.clone() : this.backbone.forwardStages(ctx, images, 1, untilStage)));
  }

  advanceTrunk(features: tf.Tensor4D, fromStage: number, toStage: number): tf.Tensor4D {
    const ctx = this.context({});
    return tf.tidy(() => (toStage <= fromStage ? features.clone() : this.backbone.forwardStages(ctx, features, fromStage, toStage - 1)));
  }

  embed(images: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    return this.embedFromStage(images, 1, options);
  }

  private context(options: ForwardOptions): ForwardContext {
    const training = options.training ?? false;
    const overrides = options.overrides;
    const read: ParameterReader = (name) => overrides?.get(name) ?? this.store.get(name);
    return { read, training, updateStatistics: training && (options.updateStatistics ?? true), statisticsSink: training ? options.statisticsSink : undefined, store: this.store };
  }

  embedFromStage(input: tf.Tensor4D, fromStage: number, options: ForwardOptions = {}): tf.Tensor2D {
    const ctx = this.context(options);
    const read = ctx.read;
    return tf.tidy(() => {
      const features = this.backbone.forwardStages(ctx, input, fromStage, this.backbone.stages);
      let pooled: tf.Tensor2D = tf.mean(features, [1, 2]);
      if (this.hasHead) pooled = tf.add(tf.matMul(pooled, read('head/kernel') as tf.Tensor2D), read('head/bias'));
      return l2Normalise(pooled);
    });
  }

  blendStatistics(layer: string, mean: tf.Tensor1D, unbiasedVariance: tf.Tensor1D): void {
    blendRunningStatistics(this.store, layer, mean, unbiasedVariance);
  }

  setWeights(weights: ReadonlyMap<string, tf.Tensor>): string[] {
    const missing: string[] = [];
    for (const [name, value] of weights) {
      const variable = this.store.variables.get(name);
      if (!variable) missing.push(name);
      else variable.assign(value);
    }
    return missing;
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** Rows scaled to unit length; the epsilon keeps an all-zero row finite. */
export function l2Normalise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));
}
