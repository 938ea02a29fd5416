/**
 * electron-vite build of the three parts, kept apart: main (Node, ESM), preload (sandboxed, so
 * CommonJS in one file), renderer (the same Vite config the browser mode builds with).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import rendererConfig from './renderer/vite.config';

const fromRoot = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

// Native and optional modules load from node_modules at run time (unpacked from asar when packaged).
const nativeModules = ['better-sqlite3', 'hnswlib-node', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

export default defineConfig({
  main: {
    build: {
      outDir: fromRoot('out/main'),
      externalizeDeps: true,
      sourcemap: true,
      rollupOptions: {
        // The decode pool forks its worker from `decodeWorkerMain.js` beside the main bundle.
        input: {
          index: fromRoot('main/electron/main.ts'),
          decodeWorkerMain: fromRoot('main/ingest/pool/decodeWorkerMain.ts'),
          // The embedder starts its tfjs worker thread from `embedWorkerMain.js` beside the main bundle.
          embedWorkerMain: fromRoot('main/search/embedWorkerMain.ts'),
          // The data-parallel trainer starts one tfjs worker thread per core from `trainWorkerMain.js`.
          trainWorkerMain: fromRoot('main/ml/parallel/trainWorkerMain.ts'),
          // The catalogue's write-ahead log is checkpointed by a thread from `walCheckpointWorker.js`.
          walCheckpointWorker: fromRoot('main/catalogue/walCheckpointWorker.ts'),
          // Each open HNSW graph lives on an index thread started from `indexWorker.js`.
          indexWorker: fromRoot('main/index/indexWorker.ts'),
        },
        external: nativeModules,
      },
    },
  },
  preload: {
    build: {
      outDir: fromRoot('out/preload'),
      externalizeDeps: true,
      rollupOptions: {
        input: { index: fromRoot('main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererConfig,
    build: {
      ...rendererConfig.build,
      outDir: fromRoot('out/renderer'),
      rollupOptions: { input: { index: fromRoot('renderer/index.html') } },
    },
  },
});
