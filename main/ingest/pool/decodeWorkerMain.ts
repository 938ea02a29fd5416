// Entry of a decode worker process (forked by decodePool). The Electron build bundles this file as
// its own entry (out/main/decodeWorkerMain.js) beside the main bundle.
import { createDefaultRegistry } from '../decoders/defaultRegistry';
import { serveDecodeWorker } from './decodeWorker';

serveDecodeWorker(createDefaultRegistry());
