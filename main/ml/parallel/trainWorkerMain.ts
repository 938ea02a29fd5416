// Entry of a data-parallel training worker thread (out/main/trainWorkerMain.js when bundled).
import { parentPort } from 'node:worker_threads';
import { serveTrainWorker } from './trainWorker';

if (!parentPort) throw new Error('trainWorkerMain must run in a worker thread');
serveTrainWorker(parentPort);
