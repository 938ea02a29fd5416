import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../kernels/wasm/registerWasmTrainingKernels';
import { wasmBinaryFolder } from './wasmFiles';

/** Backends in the order the app tries them: fastest first. */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendCandidate = (typeof BACKEND_ORDER)[number];

export interface BackendAttempt {
  name: string;
  ok: boolean;
  reason: string;
}

export interface BackendSelection {
  /** The candidate that runs: 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu'. */
  name: string;
  /** Why it runs (and, through `attempts`, why the ones before it did not). */
  reason: string;
  /** tf.getBackend() after selection, e.g. 'tensorflow' for both tfjs-node builds. */
  tfBackend: string;
  attempts: BackendAttempt[];
}

export interface SelectBackendOptions {
  /** Candidates to try, in order; unknown names are reported and skipped. Default BACKEND_ORDER. */
  prefer?: string[];
  /** Where to say which backend runs and why the others did not (default console.info). */
  log?: (line: string) => void;
  /** Install the project's wasm training kernels when wasm is chosen (default true). */
  registerTrainingKernels?: boolean;
}

// Variable specifiers keep bundlers and tsc from resolving optional packages that are absent here.
const NODE_PACKAGES: Record<'tfjs-node-gpu' | 'tfjs-node', string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
};

async function tryCandidate(name: string, registerTrainingKernels: boolean): Promise<BackendAttempt> {
  try {
    if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
      const specifier = NODE_PACKAGES[name];
      await import(/* @vite-ignore */ specifier);
      if (!(await tf.setBackend('tensorflow'))) return { name, ok: false, reason: 'loaded but the tensorflow backend did not initialise' };
      return { name, ok: true, reason: `${specifier} loaded (native libtensorflow)` };
    }
    if (name === 'wasm') {
      setWasmPaths(wasmBinaryFolder());
      if (!(await tf.setBackend('wasm'))) return { name, ok: false, reason: 'the wasm backend did not initialise' };
      const kernels = registerTrainingKernels ? registerWasmTrainingKernels() : [];
      const extra = kernels.length > 0 ? `; project training kernels: ${kernels.join(', ')}` : '';
      return { name, ok: true, reason: `WebAssembly backend (XNNPACK, single thread)${extra}` };
    }
    if (name === 'cpu') {
      if (!(await tf.setBackend('cpu'))) return { name, ok: false, reason: 'the cpu backend did not initialise' };
      return { name, ok: true, reason: 'pure-JS cpu backend (slow: inference and tiny tests only)' };
    }
    return { name, ok: false, reason: 'unknown backend name' };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { name, ok: false, reason: `not available: ${message}` };
  }
}

/**
 * Picks the fastest backend that works on this machine: tfjs-node-gpu -> tfjs-node -> wasm -> cpu.
 * The tfjs-node packages are optional (they download libtensorflow at install time), so they are
 * imported dynamically and their absence is an ordinary, logged outcome.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const order = options.prefer && options.prefer.length > 0 ? options.prefer : [...BACKEND_ORDER];
  const log = options.log ?? ((line: string) => console.info(line));
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const attempt = await tryCandidate(name, options.registerTrainingKernels ?? true);
    attempts.push(attempt);
    if (attempt.ok) {
      for (const failed of attempts.filter((a) => !a.ok)) log(`[ml] backend ${failed.name} skipped: ${failed.reason}`);
      log(`[ml] backend ${name} runs: ${attempt.reason}`);
      return { name, reason: attempt.reason, tfBackend: tf.getBackend(), attempts };
    }
  }
  for (const failed of attempts) log(`[ml] backend ${failed.name} skipped: ${failed.reason}`);
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}
