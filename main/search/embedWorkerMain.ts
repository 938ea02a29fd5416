// Entry of the embedding worker thread (started by embedder.ts). The Electron build bundles this file as
// its own entry (out/main/embedWorkerMain.js) beside the main bundle.
import { parentPort } from 'node:worker_threads';
import { serveEmbedWorker } from './embedWorker';

if (!parentPort) throw new Error('embedWorkerMain must run in a worker thread');
serveEmbedWorker(parentPort);
