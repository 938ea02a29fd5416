import type * as tf from '@tensorflow/tfjs';

/**
 * The slice of tfjs-backend-wasm's BackendWasm that kernels written in TypeScript use: tensors live in
 * the WebAssembly heap, so a kernel can read its inputs and write its output in place, in one pass,
 * where a chain of tf ops would make one pass (and one temporary tensor) per op.
 */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function asWasmHeapBackend(backend: unknown): WasmHeapBackend {
  const candidate = backend as Partial<WasmHeapBackend> | null;
  if (!candidate || typeof candidate.makeOutput !== 'function' || typeof candidate.typedArrayFromHeap !== 'function') {
    throw new Error('expected the tfjs wasm backend (makeOutput / typedArrayFromHeap)');
  }
  return candidate as WasmHeapBackend;
}

/**
 * Float32 outputs allocated first, then views of every tensor taken together. Allocating may grow the
 * wasm memory, which detaches views taken earlier, so no view may be taken before the last allocation.
 */
export function allocateThenView(
  backend: WasmHeapBackend,
  inputs: readonly tf.TensorInfo[],
  outputShapes: readonly number[][],
): { outputs: tf.TensorInfo[]; inputViews: Float32Array[]; outputViews: Float32Array[] } {
  const outputs = outputShapes.map((shape) => backend.makeOutput(shape, 'float32'));
  const view = (info: tf.TensorInfo) => {
    if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
    return backend.typedArrayFromHeap(info) as Float32Array;
  };
  return { outputs, inputViews: inputs.map(view), outputViews: outputs.map(view) };
}
