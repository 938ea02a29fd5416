/**
 * Meta-learnt inner step sizes (Meta-SGD, Li et al. 2017, one alpha per parameter tensor): stage 2
 * can learn how far each tensor of the adaptable group moves in the inner loop instead of (or as
 * well as) the weights, so "ours" differs from plain fine-tuning ("sft") exactly by what was learnt.
 * alpha is kept as log alpha (positive, and Adam's steps are then relative changes), updated by Adam
 * on the mean d L_Q / d log alpha of a meta-batch (maml.ts), and clamped to STEP_SIZE_BOUNDS so one
 * bad meta-batch cannot zero a tensor's adaptation or blow it up.
 * Plain numbers, not tensors: a handful of scalars, nothing to dispose, and the state (values and
 * Adam's moments) serialises to JSON for the checkpoint, so a resumed run continues exactly.
 */
import { z } from 'zod';

export const STEP_SIZE_BOUNDS = { min: 1e-4, max: 10 } as const;
const LOG_MIN = Math.log(STEP_SIZE_BOUNDS.min);
const LOG_MAX = Math.log(STEP_SIZE_BOUNDS.max);
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

const byName = z.record(z.string(), z.number());
export const stepSizeStateSchema = z.object({
  logStepSizes: byName,
  /** Adam's first and second moments and its step count. */
  m: byName,
  v: byName,
  iterations: z.number().int().nonnegative(),
});
export type StepSizeState = z.infer<typeof stepSizeStateSchema>;

const clampLog = (value: number) => Math.min(LOG_MAX, Math.max(LOG_MIN, value));

export class StepSizeLearner {
  private readonly logStepSizes: Map<string, number>;
  private readonly m: Map<string, number>;
  private readonly v: Map<string, number>;
  private iterations: number;

  /**
   * One step size per name: from `state` (a resumed run) where it has the name, else `initial` (one
   * value for all, or per name with `fallback` for names it does not list).
   */
  constructor(
    readonly names: readonly string[],
    initial: number | Readonly<Record<string, number>>,
    readonly learningRate: number,
    options: { fallback?: number; state?: StepSizeState } = {},
  ) {
    const start = (name: string) => (typeof initial === 'number' ? initial : Object.hasOwn(initial, name) ? (initial[name] as number) : (options.fallback ?? NaN));
    const state = options.state;
    this.logStepSizes = new Map(names.map((name) => [name, clampLog(state && Object.hasOwn(state.logStepSizes, name) ? (state.logStepSizes[name] as number) : Math.log(start(name)))]));
    for (const [name, value] of this.logStepSizes) if (!Number.isFinite(value)) throw new Error(`no valid initial step size for ${name}`);
    this.m = new Map(names.map((name) => [name, state?.m[name] ?? 0]));
    this.v = new Map(names.map((name) => [name, state?.v[name] ?? 0]));
    this.iterations = state?.iterations ?? 0;
  }

  /** alpha by parameter name (AdaptationConfig.stepSizes). */
  get stepSizes(): Record<string, number> {
    return Object.fromEntries([...this.logStepSizes].map(([name, value]) => [name, Math.exp(value)]));
  }

  /** One Adam step on log alpha from d L_Q / d log alpha (names without a gradient count as 0). */
  update(logGradients: ReadonlyMap<string, number>): void {
    this.iterations++;
    const correction1 = 1 - BETA1 ** this.iterations;
    const correction2 = 1 - BETA2 ** this.iterations;
    for (const name of this.names) {
      const g = logGradients.get(name) ?? 0;
      if (!Number.isFinite(g)) throw new Error(`step-size gradient of ${name} is ${g}`);
      const m = BETA1 * (this.m.get(name) as number) + (1 - BETA1) * g;
      const v = BETA2 * (this.v.get(name) as number) + (1 - BETA2) * g * g;
      this.m.set(name, m);
      this.v.set(name, v);
      const step = (this.learningRate * (m / correction1)) / (Math.sqrt(v / correction2) + EPSILON);
      this.logStepSizes.set(name, clampLog((this.logStepSizes.get(name) as number) - step));
    }
  }

  state(): StepSizeState {
    return { logStepSizes: Object.fromEntries(this.logStepSizes), m: Object.fromEntries(this.m), v: Object.fromEntries(this.v), iterations: this.iterations };
  }
}

/** "alpha 0.012-0.31 over 6 tensors": the range of learnt step sizes, for notes and logs. */
export function describeStepSizes(stepSizes: Readonly<Record<string, number>>): string {
  const values = Object.values(stepSizes);
  if (values.length === 0) return 'no step sizes';
  const format = (x: number) => Number(x.toPrecision(3)).toString();
  const min = Math.min(...values);
  const max = Math.max(...values);
  return `alpha ${min === max ? format(min) : `${format(min)}-${format(max)}`} over ${values.length} tensor${values.length === 1 ? '' : 's'}`;
}
