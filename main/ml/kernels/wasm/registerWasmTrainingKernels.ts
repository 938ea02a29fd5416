import * as tf from '@tensorflow/tfjs';
import { tileByBroadcast } from './broadcastTile';
import { conv2dBackpropFilterByForwardConv } from './conv2dBackpropFilter';
import { conv2dBackpropInputByForwardConv } from './conv2dBackpropInput';
import { depthwiseConv2dBackpropFilterBySlices, depthwiseConv2dBackpropInputByForwardConv } from './depthwiseConv2dBackprop';
import { maxPoolGradInHeap } from './maxPoolGrad';
import { asWasmHeapBackend } from './wasmHeap';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../batchNormTraining';
import { batchNormTrainingGradInHeap, batchNormTrainingInHeap } from './batchNormTraining';
import { reduceLeadingAxes } from './leadingAxesReduction';

// MaxPoolGrad: the shipped wasm kernel routes the gradient wrongly in windows whose maximum is
// negative (ResNet-12 pools after a leaky ReLU); the project kernel is exact (one pass over the heap).
// The two batch-norm kernels are the project's own (../batchNormTraining.ts); wasm ships neither, nor
// the depthwise convolution's two gradients (the dwsconv4 backbone trains with them).
export const PROJECT_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'Tile',
  'Sum',
  'Mean',
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
] as const;
export type ProjectKernelName = (typeof PROJECT_KERNELS)[number];

/** Which of the project's wasm kernels to install; unnamed ones default to true. */
export type WasmKernelSelection = Partial<Record<ProjectKernelName, boolean>>;

type KernelArgs = Parameters<tf.KernelFunc>[0];
/** A project kernel: its result, or null to hand the call to the kernel wasm ships. */
type ProjectKernel = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] | null;

const BACKEND = 'wasm';
const shippedKernels = new Map<string, tf.KernelConfig>();
const installed = new Set<ProjectKernelName>();

// The kernel functions call tf ops: the engine runs them with kernelDepth > 0, so they are not
// recorded on a gradient tape, and tf.tidy inside each kernel frees every intermediate.
const projectKernels: Record<ProjectKernelName, ProjectKernel> = {
  Conv2DBackpropFilter: ({ inputs, attrs }) => {
    const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
    return conv2dBackpropFilterByForwardConv(x, dy, attrs as unknown as tf.Conv2DBackpropFilterAttrs);
  },
  Conv2DBackpropInput: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
    return conv2dBackpropInputByForwardConv(dy, filter, attrs as unknown as tf.Conv2DBackpropInputAttrs);
  },
  DepthwiseConv2dNativeBackpropFilter: ({ inputs, attrs }) => {
    const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
    return depthwiseConv2dBackpropFilterBySlices(x, dy, attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs);
  },
  DepthwiseConv2dNativeBackpropInput: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
    return depthwiseConv2dBackpropInputByForwardConv(dy, filter, attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs);
  },
  MaxPoolGrad: ({ inputs, attrs, backend }) => {
    const { dy, input, output } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    return maxPoolGradInHeap(asWasmHeapBackend(backend), dy, input, output, attrs as unknown as Parameters<typeof maxPoolGradInHeap>[4]);
  },
  Tile: ({ inputs, attrs }) => tileByBroadcast((inputs as { x: tf.Tensor }).x, (attrs as unknown as tf.TileAttrs).reps),
  Sum: ({ inputs, attrs }) => {
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    return reduceLeadingAxes((inputs as { x: tf.Tensor }).x, axis, keepDims, false);
  },
  Mean: ({ inputs, attrs }) => {
    const { axis, keepDims } = attrs as unknown as tf.MeanAttrs;
    return reduceLeadingAxes((inputs as { x: tf.Tensor }).x, axis, keepDims, true);
  },
  [BATCH_NORM_TRAINING]: ({ inputs, attrs, backend }) => {
    const { x, scale, offset } = inputs as { x: tf.TensorInfo; scale: tf.TensorInfo; offset: tf.TensorInfo };
    return batchNormTrainingInHeap(asWasmHeapBackend(backend), x, scale, offset, (attrs as { epsilon: number }).epsilon);
  },
  [BATCH_NORM_TRAINING_GRAD]: ({ inputs, attrs, backend }) => {
    const { dy, x, scale, mean, variance } = inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance', tf.TensorInfo>;
    return batchNormTrainingGradInHeap(asWasmHeapBackend(backend), dy, x, scale, mean, variance, (attrs as { epsilon: number }).epsilon);
  },
};

function withFallback(name: ProjectKernelName): tf.KernelFunc {
  const kernel = projectKernels[name];
  return (args) => {
    const result = kernel(args);
    if (result) return result;
    const shipped = shippedKernels.get(name);
    if (!shipped) throw new Error(`${name} on wasm: case not supported by the project kernel and none shipped`);
    return shipped.kernelFunc(args);
  };
}

/**
 * Registers the training kernels for backendName 'wasm' (the missing Conv2DBackpropFilter and faster
 * replacements for kernels that dominate a training step). Safe to call more than once; returns the
 * names now installed. Works before or after the wasm backend is initialised.
 */
export function registerWasmTrainingKernels(selection: WasmKernelSelection = {}): ProjectKernelName[] {
  for (const name of PROJECT_KERNELS) {
    if (selection[name] === false || installed.has(name)) continue;
    const shipped = tf.getKernel(name, BACKEND);
    if (shipped) {
      shippedKernels.set(name, shipped);
      tf.unregisterKernel(name, BACKEND); // avoids tfjs' "already registered" warning
    }
    // The shipped setup (its wasm function bindings) must still run when the backend initialises
    // after this call, because the fallback path uses it.
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: withFallback(name), setupFunc: shipped?.setupFunc });
    installed.add(name);
  }
  return [...installed];
}

/** Removes the project kernels and puts back what wasm shipped (benchmarks compare both). */
export function unregisterWasmTrainingKernels(): void {
  for (const name of installed) {
    tf.unregisterKernel(name, BACKEND);
    const shipped = shippedKernels.get(name);
    if (shipped) tf.registerKernel(shipped);
    shippedKernels.delete(name);
  }
  installed.clear();
}

export function installedWasmTrainingKernels(): ProjectKernelName[] {
  return [...installed];
}
