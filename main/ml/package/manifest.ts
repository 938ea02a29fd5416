import { z } from 'zod';
import { ARCHITECTURES } from '../models/architectures';

export const MANIFEST_FORMAT = 'simila-model';
/** 2: data sets by name + content digest (version 1 recorded the training machine's paths; still loaded). */
export const MANIFEST_VERSION = 2;

const tensorSpec = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  /** Byte offset of the tensor's float32 values in the weights file. */
  offset: z.number().int().nonnegative(),
});
export type TensorSpec = z.infer<typeof tensorSpec>;

const preprocessSpec = z.object({
  inputSize: z.number().int().min(1).max(4096),
  channels: z.union([z.literal(1), z.literal(3)]),
  resize: z.enum(['cover', 'contain']),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  highDepth: z.discriminatedUnion('rule', [
    z.object({ rule: z.literal('minmax') }),
    z.object({ rule: z.literal('window'), center: z.number(), width: z.number().positive() }),
  ]),
});

const curvePoint = z.object({ step: z.number().int().nonnegative(), value: z.number() });
const validationPoint = z.object({ step: z.number().int().nonnegative(), recallAt1: z.number(), mapAtR: z.number() });

export const modelManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    formatVersion: z.union([z.literal(1), z.literal(MANIFEST_VERSION)]),
    name: z.string().min(1),
    architecture: z.object({
      /** 'dwsconv4' since 2026-12-06 (a new name only: packages of the other two are unchanged). */
      arch: z.enum(ARCHITECTURES),
      inputSize: z.number().int().min(1),
      channels: z.union([z.literal(1), z.literal(3)]),
      widths: z.array(z.number().int().positive()).min(1),
      projectionDim: z.number().int().nonnegative(),
      seed: z.number().int(),
    }),
    embeddingDim: z.number().int().positive(),
    /** Channel handling (grayscale/RGB/16-bit) and normalisation: the input of `preprocess`. */
    preprocess: preprocessSpec,
    /** Adaptable parameter groups (DESIGN §1) by short parameter name. */
    parameterGroups: z.record(z.string(), z.array(z.string())),
    weights: z.object({
      file: z.string().regex(/^[\w.-]+$/),
      dtype: z.literal('float32'),
      byteLength: z.number().int().nonnegative(),
      /** SHA-256 (hex) of the weights file, verified on load; packages written before it existed have none and still load. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
      tensors: z.array(tensorSpec),
    }),
    provenance: z.object({
      stage: z.string().min(1),
      datasets: z.array(
        z.object({
          /** Version 2: the set's name (e.g. `omniglot/background`) and content digest. */
          name: z.string().optional(),
          digest: z.string().optional(),
          /** Version 1 only: the training machine's absolute path. */
          path: z.string().optional(),
          classes: z.number().int().nonnegative(),
          images: z.number().int().nonnegative(),
        }),
      ),
      parent: z.object({ id: z.number().int().nullable(), name: z.string().nullable() }).nullable(),
      created: z.string(),
      backend: z.string(),
      trainingSeconds: z.number().nonnegative(),
      steps: z.number().int().nonnegative(),
      /** False while a run is still going (a snapshot written at a checkpoint). */
      complete: z.boolean(),
      options: z.record(z.string(), z.unknown()).optional(),
    }),
    metrics: z.object({
      loss: z.array(curvePoint),
      validation: z.array(validationPoint),
      final: z.object({ recallAt1: z.number(), mapAtR: z.number() }).nullable(),
    }),
  })
  .check((ctx) => {
    const p = ctx.value.preprocess;
    if (p.mean.length !== p.channels || p.std.length !== p.channels) {
      ctx.issues.push({ code: 'custom', message: 'preprocess mean/std need one value per channel', input: p, path: ['preprocess'] });
    }
    if (p.inputSize !== ctx.value.architecture.inputSize || p.channels !== ctx.value.architecture.channels) {
      ctx.issues.push({ code: 'custom', message: 'preprocess inputSize/channels differ from the architecture', input: p, path: ['preprocess'] });
    }
  });

export type ModelManifest = z.infer<typeof modelManifestSchema>;
