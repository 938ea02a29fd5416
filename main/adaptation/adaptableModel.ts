/**
 * A registered model loaded for adaptation or re-embedding in this process: its network, manifest,
 * adaptation configuration (recorded in the manifest, else the defaults) and the trunk it shares.
 */
import path from 'node:path';
import { adaptationConfigSchema, adaptationFromStage, DEFAULT_ADAPTATION, type AdaptationConfig } from '../ml/adaptation/fewShotAdapt';
import type { EmbeddingNet } from '../ml/models/embeddingNet';
import type { ModelManifest } from '../ml/package/manifest';
import { loadModelPackage } from '../ml/package/modelPackage';
import type { ModelRecord } from '../catalogue/repositories/models';
import { trunkKey } from './trunkKey';

export interface AdaptableModel {
  record: ModelRecord;
  net: EmbeddingNet;
  manifest: ModelManifest;
  config: AdaptationConfig;
  fromStage: number;
  key: string;
  dispose(): void;
}

export class AdaptationError extends Error {
  constructor(
    readonly code: 'not_found' | 'bad_request' | 'unsupported' | 'internal',
    message: string,
  ) {
    super(message);
    this.name = 'AdaptationError';
  }
}

let backend: Promise<string> | null = null;

/**
 * Selects the tfjs backend of this process once (training kernels included). Imported on first use:
 * loading the wasm backend module registers it as tfjs's preferred backend before it is initialised,
 * which would break tensor code elsewhere in a process that never adapts.
 */
export function ensureBackend(prefer?: string[]): Promise<string> {
  backend ??= import('../ml/backend/selectBackend')
    .then(({ selectBackend }) => selectBackend({ prefer, log: (line) => process.stderr.write(`${line}\n`) }))
    .then((s) => s.name);
  backend.catch(() => (backend = null)); // a failed start is tried again next time
  return backend;
}

/** The adaptation a model records (provenance.options.adaptation), else the defaults. */
export function adaptationConfigOf(manifest: ModelManifest): AdaptationConfig {
  const parsed = adaptationConfigSchema.safeParse((manifest.provenance.options as { adaptation?: unknown } | undefined)?.adaptation);
  return parsed.success ? parsed.data : DEFAULT_ADAPTATION;
}

/**
 * The recorded configuration with the analyst's settings over it. Meta-learnt per-tensor step sizes
 * follow a changed learning rate in proportion (the rate acts as their common scale), so a wizard that
 * sends back the rate it showed leaves them as learnt.
 */
export function withOverride(recorded: AdaptationConfig, override?: Partial<AdaptationConfig>): AdaptationConfig {
  const config = { ...recorded, ...override };
  if (recorded.stepSizes && override?.stepSizes === undefined) {
    const scale = config.learningRate / recorded.learningRate;
    config.stepSizes = scale === 1 ? recorded.stepSizes : Object.fromEntries(Object.entries(recorded.stepSizes).map(([name, alpha]) => [name, alpha * scale]));
  }
  return config;
}

export async function loadAdaptableModel(modelsDir: string, record: ModelRecord, override?: Partial<AdaptationConfig>, prefer?: string[]): Promise<AdaptableModel> {
  await ensureBackend(prefer);
  const loaded = await loadModelPackage(path.resolve(modelsDir, record.dir));
  if (!loaded.ok) throw new AdaptationError('internal', `Model ${record.name} could not be loaded: ${loaded.message}`);
  const config = withOverride(adaptationConfigOf(loaded.manifest), override);
  // 'auto': the shallowest candidate's rows (the job derives the deeper candidates' rows from them).
  const fromStage = adaptationFromStage(loaded.net, config.group);
  return {
    record,
    net: loaded.net,
    manifest: loaded.manifest,
    config,
    fromStage,
    key: trunkKey(loaded.net, loaded.manifest, fromStage),
    dispose: () => loaded.net.dispose(),
  };
}
