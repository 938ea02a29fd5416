/**
 * The decode worker process: reads, hashes and decodes files the pool sends it, one at a time.
 * It keeps the bytes of the file it hashed last, so a new file is read once for hash + decode.
 * It never touches the catalogue (the main process is the one writer) and exits when its parent
 * goes away (also when the parent was killed).
 */
import type { DecoderRegistry } from '../decoders/registry';
import { readForHash } from '../contentReader';
import { decodeBytes, sha256 } from '../decodeBytes';
import type { WorkerReply, WorkerRequest } from './protocol';

export function serveDecodeWorker(registry: DecoderRegistry): void {
  if (!process.send) throw new Error('The decode worker must be started by the decode pool (no IPC channel).');
  let held: { path: string; bytes: Buffer } | null = null;
  const reply = (message: WorkerReply) => process.send!(message);

  const handle = async (request: WorkerRequest): Promise<WorkerReply['result']> => {
    if (request.op === 'hash') {
      held = null;
      const read = await readForHash(request.path, request.maxFileBytes);
      if (!read.ok) return read;
      held = { path: request.path, bytes: read.bytes };
      return { ok: true, hash: sha256(read.bytes), size: read.bytes.length };
    }
    let bytes = held?.path === request.path ? held.bytes : null;
    held = null;
    if (!bytes) {
      const read = await readForHash(request.path, request.maxFileBytes);
      if (!read.ok) return read;
      bytes = read.bytes;
    }
    return decodeBytes(registry, request.path, bytes, request.limits);
  };

  process.on('message', (request: WorkerRequest) => {
    handle(request).then(
      (result) => reply({ id: request.id, result }),
      (error: unknown) => reply({ id: request.id, result: { ok: false, code: 'internal', message: `The decode worker failed: ${String(error)}` } }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
