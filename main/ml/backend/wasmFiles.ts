import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Folder (with trailing separator) holding the wasm backend's .wasm binaries inside node_modules.
 * In Node, setWasmPaths accepts a plain file-system prefix; a file:// URL is not read by its loader.
 */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  return path.dirname(wasmFile) + path.sep;
}
