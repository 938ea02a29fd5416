/**
 * The methods `simila eval --methods` knows, by name. Each factory gets the run's trained network
 * and input source.
 *  - random / dml: no adaptation (random weights / the model as it is).
 *  - sft: the stage-1 model (the evaluated model's parent, else the model itself) fine-tuned on each
 *    episode's support set with the same routine, group, steps and learning rate as "ours"
 *    (fewShotAdapt) but without learnt per-tensor step sizes: plain fine-tuning is the baseline, and
 *    the initialisation and the step sizes are what meta-learning contributes (with stage 2's frozen
 *    weights, the step sizes alone).
 *  - maml: plain MAML of the whole network: a whole-network MAML init fine-tuned on the support set
 *    (group 'all'); without one, the stage-1 model fine-tuned as a whole with MAML's inner-loop
 *    settings (steps, one learning rate), said in the report's notes.
 *  - ours: the meta-learnt model with its configured adaptation (manifest provenance.options.adaptation),
 *    learnt step sizes included.
 *  - ours:GROUP: "ours" with the adaptable group replaced (all, last-stage-head, last-two-stages-head,
 *    rectifiers, auto), so one run compares depths on the same episodes (issue 10 item 6).
 */
import { adaptingMethod } from '../adaptation/adaptingMethod';
import { ADAPTATION_GROUPS, DEFAULT_ADAPTATION, type AdaptationConfig, type AdaptationGroup } from '../adaptation/fewShotAdapt';
import type { Episode } from '../episodes/episodeSampler';
import { describeStepSizes } from '../meta/stepSizes';
import { createEmbeddingNet, type EmbeddingNet } from '../models/embeddingNet';
import type { InputSource } from './inputSource';
import { frozenNetMethod, type EpisodeEmbedder, type Method } from './method';

export interface MethodContext<Id> {
  /** The trained network under evaluation (owned by the caller; methods must not dispose it). */
  net: EmbeddingNet;
  inputs: InputSource<Id>;
  /** The run's seed (random weights are drawn from it). */
  seed: number;
  batchSize?: number;
  /** The evaluated model's configured adaptation (default DEFAULT_ADAPTATION). */
  adaptation?: AdaptationConfig;
  /** Loads the stage-1 model for "sft" (undefined: use `net`). The method disposes what it returns. */
  loadBaseNet?: () => Promise<EmbeddingNet | undefined>;
  /** Loads a whole-network MAML init for "maml" with its adaptation (undefined: fine-tune the stage-1 model). */
  loadMamlNet?: () => Promise<{ net: EmbeddingNet; adaptation?: AdaptationConfig } | undefined>;
  /** Methods say here what they ran on (the CLI prints it in the report). */
  notes?: Record<string, string>;
  /**
   * Applied to every network a method makes or loads itself (random weights, the stage-1 parent, a MAML
   * init) before its first episode, e.g. batch-norm statistics re-estimated on the archive
   * (`--norm-stats`). It returns a new network; the method disposes both. `net` is passed in already
   * prepared by the caller.
   */
  prepareNet?: (net: EmbeddingNet) => Promise<EmbeddingNet>;
}

/** A method built on first use (its network is loaded asynchronously), then delegated to. */
function lazyMethod<Id>(name: string, build: () => Promise<Method<Id>>): Method<Id> {
  let made: Promise<Method<Id>> | undefined;
  let built: Method<Id> | undefined;
  return {
    name,
    async prepare(episode: Episode<Id>): Promise<EpisodeEmbedder<Id>> {
      made ??= build().then((method) => (built = method));
      return (await made).prepare(episode);
    },
    dispose() {
      built?.dispose?.();
    },
  };
}

/** The context's prepareNet applied to a network the method owns (the original is disposed). */
async function prepared(context: MethodContext<unknown>, net: EmbeddingNet): Promise<EmbeddingNet> {
  if (!context.prepareNet) return net;
  try {
    return await context.prepareNet(net);
  } finally {
    net.dispose();
  }
}

const configOf = (context: MethodContext<unknown>): AdaptationConfig => context.adaptation ?? DEFAULT_ADAPTATION;
/** The baselines' adaptation: the same, with one learning rate (learnt step sizes are meta-learning's part). */
export function withoutStepSizes(config: AdaptationConfig): AdaptationConfig {
  const { stepSizes: _stepSizes, ...plain } = config;
  return plain;
}
const describe = (c: AdaptationConfig) =>
  `group ${c.group}, ${c.steps} steps, lr ${c.learningRate}${c.stepSizes ? `, learnt per-tensor step sizes ${describeStepSizes(c.stepSizes)} (lr for tensors not listed)` : ''}${c.earlyStop ? ', early stop on a held-out shot' : ''}`;

type MethodFactory = <Id>(context: MethodContext<Id>) => Method<Id>;

const FACTORIES: Record<string, MethodFactory> = {
  // The floor any trained model must clear: the same architecture, seeded random weights.
  random: (context) =>
    context.prepareNet
      ? lazyMethod('random', async () => frozenNetMethod('random', await prepared(context as MethodContext<unknown>, createEmbeddingNet({ ...context.net.config, seed: context.seed })), context.inputs, { batchSize: context.batchSize, disposeNet: true }))
      : frozenNetMethod('random', createEmbeddingNet({ ...context.net.config, seed: context.seed }), context.inputs, { batchSize: context.batchSize, disposeNet: true }),
  // Deep metric learning without adaptation: the trained network as it is.
  dml: (context) => frozenNetMethod('dml', context.net, context.inputs, { batchSize: context.batchSize }),
  sft: (context) =>
    lazyMethod('sft', async () => {
      const config = withoutStepSizes(configOf(context as MethodContext<unknown>));
      const loaded = await context.loadBaseNet?.();
      const base = loaded && (await prepared(context as MethodContext<unknown>, loaded));
      if (context.notes) context.notes.sft = `${base ? 'stage-1 parent model' : 'the evaluated model (no stage-1 parent found)'} fine-tuned on the support set: ${describe(config)}`;
      return adaptingMethod('sft', base ?? context.net, context.inputs, config, { batchSize: context.batchSize, disposeNet: base !== undefined });
    }),
  maml: (context) =>
    lazyMethod('maml', async () => {
      const inner = withoutStepSizes(configOf(context as MethodContext<unknown>));
      const loadedInit = await context.loadMamlNet?.();
      const init = loadedInit && { ...loadedInit, net: await prepared(context as MethodContext<unknown>, loadedInit.net) };
      if (init) {
        const config: AdaptationConfig = { ...(init.adaptation ?? inner), group: 'all', earlyStop: false };
        if (context.notes) context.notes.maml = `whole-network MAML init fine-tuned on the support set: ${describe(config)}`;
        return adaptingMethod('maml', init.net, context.inputs, config, { batchSize: context.batchSize, disposeNet: true });
      }
      const loaded = await context.loadBaseNet?.();
      const base = loaded && (await prepared(context as MethodContext<unknown>, loaded));
      const config: AdaptationConfig = { ...inner, group: 'all', earlyStop: false };
      if (context.notes) context.notes.maml = `no whole-network MAML init given (--maml-model): ${base ? 'the stage-1 parent' : 'the evaluated model'} fine-tuned as a whole network with MAML's inner-loop settings (${describe(config)})`;
      return adaptingMethod('maml', base ?? context.net, context.inputs, config, { batchSize: context.batchSize, disposeNet: base !== undefined });
    }),
  ours: (context) => {
    const config = configOf(context as MethodContext<unknown>);
    if (context.notes) context.notes.ours = `the evaluated model with ${context.adaptation ? 'its configured adaptation' : 'the default adaptation (the model records none)'}: ${describe(config)}`;
    return adaptingMethod('ours', context.net, context.inputs, config, { batchSize: context.batchSize });
  },
};

/** "ours" with the adaptable group of the name ("ours:auto"). */
function oursWithGroup<Id>(name: string, group: AdaptationGroup, context: MethodContext<Id>): Method<Id> {
  const config: AdaptationConfig = { ...configOf(context as MethodContext<unknown>), group };
  if (context.notes) context.notes[name] = `the evaluated model with its configured adaptation, group ${group}: ${describe(config)}`;
  const method = adaptingMethod(name, context.net, context.inputs, config, { batchSize: context.batchSize });
  if (group !== 'auto' || !context.notes) return method;
  const notes = context.notes;
  return {
    ...method,
    name,
    prepare: async (episode) => {
      const embedder = await method.prepare(episode);
      notes[`${name} chosen depths`] = Object.entries(method.chosenGroups).map(([g, n]) => `${g} ${n}`).join(', ');
      return embedder;
    },
    dispose: () => method.dispose?.(),
  };
}

const groupOfName = (name: string): AdaptationGroup | undefined => {
  const match = /^ours:(.+)$/.exec(name);
  return match && (ADAPTATION_GROUPS as readonly string[]).includes(match[1]!) ? (match[1] as AdaptationGroup) : undefined;
};

export const KNOWN_METHODS = Object.keys(FACTORIES);

export type MethodsResult<Id> = { ok: true; methods: Method<Id>[] } | { ok: false; code: 'unknown-method'; message: string };

export function createMethods<Id>(names: readonly string[], context: MethodContext<Id>): MethodsResult<Id> {
  const unknown = names.filter((name) => !Object.hasOwn(FACTORIES, name) && !groupOfName(name));
  if (unknown.length > 0) return { ok: false, code: 'unknown-method', message: `unknown method ${unknown.join(', ')} (known: ${KNOWN_METHODS.join(', ')}, ours:GROUP with GROUP one of ${ADAPTATION_GROUPS.join(', ')})` };
  return { ok: true, methods: names.map((name) => (Object.hasOwn(FACTORIES, name) ? (FACTORIES[name] as MethodFactory)(context) : oursWithGroup(name, groupOfName(name)!, context))) };
}
