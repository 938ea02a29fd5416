import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterByForwardConv } from './conv2dBackpropFilter';
import { conv2dBackpropInputByForwardConv } from './conv2dBackpropInput';

/** Which of the project's wasm training kernels to install (all by default). */
export interface WasmKernelSelection {
  conv2dBackpropFilter?: boolean;
  conv2dBackpropInput?: boolean;
}

export type ProjectKernelName = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';

const BACKEND = 'wasm';
/** Kernels the wasm package ships that we replaced, kept so unregistering restores them. */
const replaced = new Map<string, tf.KernelConfig>();
const installed = new Set<ProjectKernelName>();

// The kernel functions call tf ops: the engine runs them with kernelDepth > 0, so they are not
// recorded on a gradient tape, and tf.tidy inside each kernel frees every intermediate.
const kernels: Record<ProjectKernelName, tf.KernelFunc> = {
  Conv2DBackpropFilter: ({ inputs, attrs }) => {
    const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
    return conv2dBackpropFilterByForwardConv(x, dy, attrs as unknown as tf.Conv2DBackpropFilterAttrs);
  },
  Conv2DBackpropInput: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
    return conv2dBackpropInputByForwardConv(dy, filter, attrs as unknown as tf.Conv2DBackpropInputAttrs);
  },
};

/**
 * Registers the training kernels for backendName 'wasm'. Safe to call more than once; returns the
 * names now installed. Works before or after the wasm backend is initialised (no setup function).
 */
export function registerWasmTrainingKernels(selection: WasmKernelSelection = {}): ProjectKernelName[] {
  const wanted: Record<ProjectKernelName, boolean> = {
    Conv2DBackpropFilter: selection.conv2dBackpropFilter ?? true,
    Conv2DBackpropInput: selection.conv2dBackpropInput ?? true,
  };
  for (const name of Object.keys(kernels) as ProjectKernelName[]) {
    if (!wanted[name] || installed.has(name)) continue;
    const shipped = tf.getKernel(name, BACKEND);
    if (shipped) {
      replaced.set(name, shipped);
      tf.unregisterKernel(name, BACKEND); // avoids tfjs' "already registered" warning
    }
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: kernels[name] });
    installed.add(name);
  }
  return [...installed];
}

/** Removes the project kernels and puts back what wasm shipped (benchmarks compare both). */
export function unregisterWasmTrainingKernels(): void {
  for (const name of installed) {
    tf.unregisterKernel(name, BACKEND);
    const shipped = replaced.get(name);
    if (shipped) tf.registerKernel(shipped);
    replaced.delete(name);
  }
  installed.clear();
}

export function installedWasmTrainingKernels(): ProjectKernelName[] {
  return [...installed];
}
