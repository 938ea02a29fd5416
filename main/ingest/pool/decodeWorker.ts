/**
 * The decode worker process: reads, hashes and decodes the files the pool sends it, several at a
 * time (sharp decodes on libuv threads, so reads, hashing and IPC overlap with decoding). It keeps
 * each open file's bytes from its hash to its decode, so a new file is read once, and writes
 * thumbnails itself when asked. It never touches the catalogue (the main process is the one
 * writer) and exits when its parent goes away (also when the parent was killed).
 */
import type { DecoderRegistry } from '../decoders/registry';
import { readForHash } from '../contentReader';
import { decodeToThumbnail, sha256 } from '../decodeBytes';
import type { PreprocessSpec } from '../../ml/data/preprocessSpec';
import { preparePixels, type PreparedPixels } from '../../search/inputPreparer';
import type { WorkerNotice, WorkerReady, WorkerReply, WorkerRequest } from './protocol';

export interface DecodeWorkerOptions {
  /** How `prepare` requests are served (default: the registry's decoders and the one preprocessing, up to normalisation). */
  preparePixels?: (bytes: Buffer, spec: PreprocessSpec) => Promise<PreparedPixels>;
}

export function serveDecodeWorker(registry: DecoderRegistry, options: DecodeWorkerOptions = {}): void {
  if (!process.send) throw new Error('The decode worker must be started by the decode pool (no IPC channel).');
  const held = new Map<number, { path: string; bytes: Buffer }>();
  const reply = (message: WorkerReply) => process.send!(message);
  const prepare = options.preparePixels ?? ((bytes: Buffer, spec: PreprocessSpec) => preparePixels(registry, bytes, spec));

  const handle = async (request: WorkerRequest): Promise<WorkerReply['result']> => {
    if (request.op === 'prepare') return prepare(Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength), request.spec);
    if (request.op === 'hash') {
      held.delete(request.lease);
      const read = await readForHash(request.path, request.maxFileBytes);
      if (!read.ok) return read;
      held.set(request.lease, { path: request.path, bytes: read.bytes });
      return { ok: true, hash: sha256(read.bytes), size: read.bytes.length };
    }
    const kept = held.get(request.lease);
    held.delete(request.lease);
    let bytes = kept?.path === request.path ? kept.bytes : null;
    if (!bytes) {
      // Not hashed by this process (e.g. a replacement after a crash): read it now.
      const read = await readForHash(request.path, request.maxFileBytes);
      if (!read.ok) return read;
      bytes = read.bytes;
    }
    return decodeToThumbnail(registry, request.path, bytes, request.limits, request.thumbnailFile);
  };

  process.on('message', (message: WorkerRequest | WorkerNotice) => {
    if (message.op === 'release') {
      held.delete(message.lease);
      return;
    }
    handle(message).then(
      (result) => reply({ id: message.id, result }),
      (error: unknown) => reply({ id: message.id, result: { ok: false, code: 'internal', message: `The decode worker failed: ${String(error)}` } }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true } satisfies WorkerReady);
}
