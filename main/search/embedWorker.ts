/**
 * The embedding worker thread: selects a tfjs backend, loads one model package and turns batches of
 * preprocessed inputs into L2-normalised vectors. Running here keeps tfjs (single-threaded wasm) off the
 * event loop that serves the UI.
 */
import type { MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../ml/backend/selectBackend';
import type { EmbeddingNet } from '../ml/models/embeddingNet';
import { loadModelPackage } from '../ml/package/modelPackage';
import type { EmbedWorkerReply, EmbedWorkerRequest } from './embedProtocol';

export function serveEmbedWorker(port: MessagePort): void {
  let net: EmbeddingNet | null = null;
  const post = (reply: EmbedWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

  port.on('message', async (request: EmbedWorkerRequest) => {
    if (request.type === 'load') {
      try {
        // Inference only: the training kernels are not needed.
        const backend = await selectBackend({ prefer: request.prefer, registerTrainingKernels: false, log: () => undefined });
        const loaded = await loadModelPackage(request.modelDir);
        if (!loaded.ok) return post({ type: 'failed', id: null, code: loaded.code, message: loaded.message });
        net = loaded.net;
        const { inputSize, channels } = loaded.manifest.preprocess;
        post({ type: 'loaded', backend: backend.name, inputSize, channels, embeddingDim: loaded.manifest.embeddingDim });
      } catch (error) {
        post({ type: 'failed', id: null, code: 'load_failed', message: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    if (!net) return post({ type: 'failed', id: request.id, code: 'not_loaded', message: 'The embedding model is not loaded.' });
    try {
      const { inputSize, channels } = net.config;
      const model = net;
      const output = tf.tidy(() => model.embed(tf.tensor4d(request.inputs, [request.count, inputSize, inputSize, channels])));
      const vectors = new Float32Array(await output.data());
      output.dispose();
      post({ type: 'embedded', id: request.id, vectors }, [vectors.buffer as ArrayBuffer]);
    } catch (error) {
      post({ type: 'failed', id: request.id, code: 'embed_failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
}
