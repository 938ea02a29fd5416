/**
 * The embedding worker thread: selects a tfjs backend, loads one model package and turns batches of
 * preprocessed inputs into L2-normalised vectors. Running here keeps tfjs (single-threaded wasm) off the
 * event loop that serves the UI.
 */
import type { MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../ml/backend/selectBackend';
import { MAX_CACHED_TRUNK_FLOATS, trunkSpecOf, type TrunkSpec } from '../adaptation/trunkKey';
import type { EmbeddingNet } from '../ml/models/embeddingNet';
import { loadModelPackage } from '../ml/package/modelPackage';
import type { EmbedWorkerReply, EmbedWorkerRequest } from './embedProtocol';
import { lowerThisThreadPriority } from '../threads/threadPriority';

export function serveEmbedWorker(port: MessagePort): void {
  let net: EmbeddingNet | null = null;
  let trunk: (TrunkSpec & { rowLength: number }) | null = null;
  const post = (reply: EmbedWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

  port.on('message', async (request: EmbedWorkerRequest) => {
    if (request.type === 'load') {
      try {
        const nice = request.background ? lowerThisThreadPriority() : null;
        // Inference only: the training kernels are not needed.
        const backend = await selectBackend({ prefer: request.prefer, registerTrainingKernels: false, log: () => undefined });
        const loaded = await loadModelPackage(request.modelDir);
        if (!loaded.ok) return post({ type: 'failed', id: null, code: loaded.code, message: loaded.message });
        net = loaded.net;
        const { inputSize, channels } = loaded.manifest.preprocess;
        // The same pass yields the trunk's output: cached, it lets adapted children re-embed without the CNN.
        const spec = trunkSpecOf(loaded.net, loaded.manifest);
        const probe = tf.tidy(() => loaded.net.trunkFeatures(tf.zeros([1, inputSize, inputSize, channels]) as tf.Tensor4D, spec.fromStage - 1));
        const rowLength = probe.size;
        probe.dispose();
        trunk = spec.fromStage > 1 && rowLength <= MAX_CACHED_TRUNK_FLOATS ? { ...spec, rowLength } : null;
        post({ type: 'loaded', backend: backend.name, inputSize, channels, embeddingDim: loaded.manifest.embeddingDim, trunk: trunk && { key: trunk.key, rowLength }, nice });
      } catch (error) {
        post({ type: 'failed', id: null, code: 'load_failed', message: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    if (!net) return post({ type: 'failed', id: request.id, code: 'not_loaded', message: 'The embedding model is not loaded.' });
    if (request.type === 'head') {
      try {
        const model = net;
        const output = tf.tidy(() => model.embedFromStage(tf.tensor4d(request.rows, [request.count, ...request.shape]), request.fromStage));
        const vectors = new Float32Array(await output.data());
        output.dispose();
        return post({ type: 'embedded', id: request.id, vectors }, [vectors.buffer as ArrayBuffer]);
      } catch (error) {
        return post({ type: 'failed', id: request.id, code: 'embed_failed', message: error instanceof Error ? error.message : String(error) });
      }
    }
    try {
      const { inputSize, channels } = net.config;
      const model = net;
      const images = tf.tensor4d(request.inputs, [request.count, inputSize, inputSize, channels]);
      if (!trunk) {
        const output = tf.tidy(() => model.embed(images));
        images.dispose();
        const vectors = new Float32Array(await output.data());
        output.dispose();
        return post({ type: 'embedded', id: request.id, vectors }, [vectors.buffer as ArrayBuffer]);
      }
      const fromStage = trunk.fromStage;
      const features = model.trunkFeatures(images, fromStage - 1);
      images.dispose();
      const output = tf.tidy(() => model.embedFromStage(features, fromStage));
      const vectors = new Float32Array(await output.data());
      const trunkRows = new Float32Array(await features.data());
      output.dispose();
      features.dispose();
      post({ type: 'embedded', id: request.id, vectors, trunk: trunkRows }, [vectors.buffer as ArrayBuffer, trunkRows.buffer as ArrayBuffer]);
    } catch (error) {
      post({ type: 'failed', id: request.id, code: 'embed_failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
}
