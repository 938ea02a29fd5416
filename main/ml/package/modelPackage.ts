import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createEmbeddingNet, type EmbeddingNet, type ParameterGroup } from '../models/embeddingNet';
import { recoverInterruptedSwap, writeFolderAtomically } from './atomicFolder';
import { MANIFEST_FORMAT, MANIFEST_VERSION, modelManifestSchema, type ModelManifest } from './manifest';
import { readTensorBundle, writeTensorBundle } from './tensorBundle';

export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
const GROUPS: ParameterGroup[] = ['all', 'last-stage-head', 'rectifiers'];

/** What the caller says about a model; the package fills in architecture, groups and weights. */
export type ManifestInput = Omit<ModelManifest, 'format' | 'formatVersion' | 'architecture' | 'embeddingDim' | 'parameterGroups' | 'weights'>;

export type PackageErrorCode = 'package-missing' | 'manifest-missing' | 'manifest-corrupt' | 'manifest-invalid' | 'weights-missing' | 'weights-corrupt' | 'weights-mismatch';
export type PackageError = { ok: false; code: PackageErrorCode; message: string };
export type LoadResult = { ok: true; net: EmbeddingNet; manifest: ModelManifest } | PackageError;
export type ManifestResult = { ok: true; manifest: ModelManifest } | PackageError;

/** The manifest a package of `net` would carry (weights section filled when saving). */
export function buildManifest(net: EmbeddingNet, input: ManifestInput): ModelManifest {
  const parameterGroups: Record<string, string[]> = {};
  for (const group of GROUPS) parameterGroups[group] = net.parameterNames(group);
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    ...input,
    architecture: { ...net.config, widths: [...net.config.widths] },
    embeddingDim: net.embeddingDim,
    parameterGroups,
    weights: { file: WEIGHTS_FILE, dtype: 'float32', byteLength: 0, tensors: [] },
  };
}

/**
 * Writes `dir` as a model package (manifest.json + weights.bin, every variable including batch-norm
 * statistics), atomically (temp folder, fsync, rename), with the weights file's SHA-256 in the manifest; `extra` may add files (e.g. a trainer's checkpoint state). Returns the manifest written.
 */
export async function saveModelPackage(
  dir: string,
  net: EmbeddingNet,
  input: ManifestInput,
  extra?: (tempDir: string) => Promise<void>,
): Promise<ModelManifest> {
  const manifest = buildManifest(net, input);
  await writeFolderAtomically(dir, async (temp) => {
    const tensors = [...net.variables].map(([name, tensor]) => ({ name, tensor }));
    const { specs, byteLength, sha256 } = await writeTensorBundle(path.join(temp, WEIGHTS_FILE), tensors);
    manifest.weights = { file: WEIGHTS_FILE, dtype: 'float32', byteLength, sha256, tensors: specs };
    const checked = modelManifestSchema.safeParse(manifest);
    if (!checked.success) throw new Error(`refusing to write an invalid manifest: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    await fs.writeFile(path.join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (extra) await extra(temp);
  });
  return manifest;
}

/** Reads and validates a package's manifest without touching the weights. */
export async function readModelManifest(dir: string): Promise<ManifestResult> {
  const absolute = path.resolve(dir);
  await recoverInterruptedSwap(absolute).catch(() => false);
  try {
    if (!(await fs.stat(absolute)).isDirectory()) return { ok: false, code: 'package-missing', message: `${absolute} is not a model package folder` };
  } catch {
    return { ok: false, code: 'package-missing', message: `model package ${absolute} does not exist` };
  }
  let text: string;
  try {
    text = await fs.readFile(path.join(absolute, MANIFEST_FILE), 'utf8');
  } catch {
    return { ok: false, code: 'manifest-missing', message: `${absolute} has no ${MANIFEST_FILE}: not a model package` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, code: 'manifest-corrupt', message: `${MANIFEST_FILE} in ${absolute} is not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, code: 'manifest-invalid', message: `${MANIFEST_FILE} in ${absolute} is not a valid model manifest${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, manifest: parsed.data };
}

/** Loads a package: validated manifest, the network it describes, its weights (every variable must match). */
export async function loadModelPackage(dir: string): Promise<LoadResult> {
  const read = await readModelManifest(dir);
  if (!read.ok) return read;
  const { manifest } = read;
  const bundle = await readTensorBundle(path.join(path.resolve(dir), manifest.weights.file), manifest.weights.tensors, manifest.weights.byteLength, manifest.weights.sha256);
  if (!bundle.ok) return bundle;
  const net = createEmbeddingNet(manifest.architecture);
  try {
    const problems: string[] = [];
    for (const [name, variable] of net.variables) {
      const tensor = bundle.tensors.get(name);
      if (!tensor) problems.push(`${name} missing`);
      else if (tensor.shape.join('x') !== variable.shape.join('x')) problems.push(`${name} is ${tensor.shape.join('x')}, expected ${variable.shape.join('x')}`);
    }
    for (const name of bundle.tensors.keys()) if (!net.variables.has(name)) problems.push(`${name} unknown to ${manifest.architecture.arch}`);
    if (problems.length > 0) {
      net.dispose();
      return { ok: false, code: 'weights-mismatch', message: `weights do not fit the architecture: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}` };
    }
    net.setWeights(bundle.tensors);
    return { ok: true, net, manifest };
  } finally {
    for (const tensor of bundle.tensors.values()) tensor.dispose();
  }
}
