import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { loadModelPackage, saveModelPackage, type ManifestInput } from '../package/modelPackage';
import type { EmbeddingNet } from '../models/embeddingNet';
import { readTensorBundle, writeTensorBundle } from '../package/tensorBundle';

const STATE_FILE = 'trainer-state.json';
const OPTIMIZER_FILE = 'optimizer.bin';

const stateSchema = z.object({
  step: z.number().int().nonnegative(),
  trainingSeconds: z.number().nonnegative(),
  /** A trainer's own state beyond the optimiser's (stage 2: the step-size learner). */
  extra: z.record(z.string(), z.unknown()).optional(),
  optimizer: z.object({
    iterations: z.number().int().nonnegative(),
    byteLength: z.number().int().nonnegative(),
    tensors: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), offset: z.number().int().nonnegative() })),
  }),
});
export type TrainerState = Omit<z.infer<typeof stateSchema>, 'optimizer'>;

/**
 * A checkpoint is a model package plus the trainer's state: step, time spent and Adam's moments
 * (in the order of the variable list, which is how tfjs optimizers match them up).
 */
export async function saveCheckpoint(dir: string, net: EmbeddingNet, manifest: ManifestInput, state: TrainerState, optimizer: tf.Optimizer): Promise<void> {
  const weights = await optimizer.getWeights();
  const iterations = weights[0] ? ((await weights[0].tensor.data())[0] as number) : 0;
  await saveModelPackage(dir, net, manifest, async (temp) => {
    const bundle = await writeTensorBundle(path.join(temp, OPTIMIZER_FILE), weights.slice(1));
    const full = { ...state, optimizer: { iterations, byteLength: bundle.byteLength, tensors: bundle.specs } };
    await fs.writeFile(path.join(temp, STATE_FILE), `${JSON.stringify(full)}\n`);
  });
  weights[0]?.tensor.dispose();
}

export type ResumeResult =
  | { ok: true; net: EmbeddingNet; state: TrainerState; manifest: ManifestInput; restoreOptimizer: (optimizer: tf.Optimizer) => Promise<void> }
  | { ok: false; code: string; message: string };

export async function loadCheckpoint(dir: string): Promise<ResumeResult> {
  const loaded = await loadModelPackage(dir);
  if (!loaded.ok) return { ok: false, code: 'checkpoint-unreadable', message: `cannot resume: ${loaded.message}` };
  let state: z.infer<typeof stateSchema>;
  try {
    const parsed = stateSchema.safeParse(JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
    state = parsed.data;
  } catch (error) {
    loaded.net.dispose();
    return { ok: false, code: 'checkpoint-unreadable', message: `cannot resume: ${STATE_FILE} in ${dir} is missing or invalid (${error instanceof Error ? error.message : String(error)})` };
  }
  const bundle = await readTensorBundle(path.join(dir, OPTIMIZER_FILE), state.optimizer.tensors, state.optimizer.byteLength);
  if (!bundle.ok) {
    loaded.net.dispose();
    return { ok: false, code: 'checkpoint-unreadable', message: `cannot resume: ${bundle.message}` };
  }
  const { format: _f, formatVersion: _v, architecture: _a, embeddingDim: _e, parameterGroups: _g, weights: _w, ...manifest } = loaded.manifest;
  return {
    ok: true,
    net: loaded.net,
    state: { step: state.step, trainingSeconds: state.trainingSeconds, ...(state.extra ? { extra: state.extra } : {}) },
    manifest,
    restoreOptimizer: async (optimizer) => {
      const named = [{ name: 'iter', tensor: tf.scalar(state.optimizer.iterations, 'int32') }, ...state.optimizer.tensors.map((spec) => ({ name: spec.name, tensor: bundle.tensors.get(spec.name) as tf.Tensor }))];
      await optimizer.setWeights(named);
      for (const { tensor } of named) tensor.dispose();
    },
  };
}
