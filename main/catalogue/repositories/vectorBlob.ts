/** Float32 vectors <-> little-endian BLOBs, the on-disk form of embeddings in SQLite. */
import os from 'node:os';

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

export function encodeVector(vector: Float32Array): Buffer {
  if (LITTLE_ENDIAN_HOST) return Buffer.from(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
  const out = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i] ?? 0, i * 4);
  return out;
}

/** Copies into `target` at `offset` (in floats); a BLOB's bytes need not be 4-byte aligned. */
export function decodeVectorInto(blob: Uint8Array, target: Float32Array, offset: number): void {
  const n = blob.byteLength >>> 2;
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(target.buffer, target.byteOffset + offset * 4, n * 4).set(blob.subarray(0, n * 4));
    return;
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < n; i++) target[offset + i] = view.getFloat32(i * 4, true);
}

export function decodeVector(blob: Uint8Array): Float32Array {
  const out = new Float32Array(blob.byteLength >>> 2);
  decodeVectorInto(blob, out, 0);
  return out;
}
