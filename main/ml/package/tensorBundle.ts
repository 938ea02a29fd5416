import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sha256Hex } from './durableFiles';
import type { TensorSpec } from './manifest';

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Writes tensors as one little-endian float32 file; returns where each one lies and the file's SHA-256. */
export async function writeTensorBundle(file: string, tensors: readonly NamedTensor[]): Promise<{ specs: TensorSpec[]; byteLength: number; sha256: string }> {
  const specs: TensorSpec[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of tensors) {
    const values = Float32Array.from(await tensor.data());
    specs.push({ name, shape: [...tensor.shape], offset });
    parts.push(values);
    offset += values.byteLength;
  }
  const bytes = Buffer.alloc(offset);
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) bytes.writeFloatLE(part[i] as number, at + i * 4);
    at += part.byteLength;
  }
  await fs.writeFile(file, bytes);
  return { specs, byteLength: offset, sha256: sha256Hex(bytes) };
}

export type BundleResult = { ok: true; tensors: Map<string, tf.Tensor> } | { ok: false; code: 'weights-missing' | 'weights-corrupt'; message: string };

/**
 * Reads a bundle back as float32 tensors; checks the file length against the specs and, when the
 * manifest recorded one, the file's SHA-256 (a mismatch names the file: it was changed or damaged).
 */
export async function readTensorBundle(file: string, specs: readonly TensorSpec[], byteLength: number, sha256?: string): Promise<BundleResult> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return { ok: false, code: 'weights-missing', message: `weights file ${path.basename(file)} is missing in ${path.dirname(file)}` };
  }
  if (bytes.length !== byteLength) {
    return { ok: false, code: 'weights-corrupt', message: `weights file ${file} has ${bytes.length} bytes, the manifest says ${byteLength}` };
  }
  if (sha256 !== undefined) {
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      return { ok: false, code: 'weights-corrupt', message: `weights file ${file} does not match the SHA-256 in its manifest (${actual.slice(0, 12)}… instead of ${sha256.slice(0, 12)}…): it was changed or damaged; re-install the model package` };
    }
  }
  const tensors = new Map<string, tf.Tensor>();
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.offset % 4 !== 0 || spec.offset + count * 4 > bytes.length) {
      for (const t of tensors.values()) t.dispose();
      return { ok: false, code: 'weights-corrupt', message: `tensor ${spec.name} lies outside the weights file` };
    }
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(spec.offset + i * 4);
    tensors.set(spec.name, tf.tensor(values, spec.shape, 'float32'));
  }
  return { ok: true, tensors };
}
