/** Small vector helpers shared by the exact and the HNSW search. */

/** L2-normalises row `i` of a row-major matrix in place; a zero row stays zero. */
export function normaliseRowsInPlace(vectors: Float32Array, dim: number): Float32Array {
  for (let offset = 0; offset < vectors.length; offset += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += vectors[offset + j]! * vectors[offset + j]!;
    if (sum === 0) continue;
    const inv = 1 / Math.sqrt(sum);
    for (let j = 0; j < dim; j++) vectors[offset + j]! *= inv;
  }
  return vectors;
}

/** A normalised copy as a plain array (hnswlib-node accepts no typed arrays). */
export function normalisedArray(vector: ArrayLike<number>, offset = 0, dim = vector.length - offset): number[] {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += vector[offset + j]! * vector[offset + j]!;
  const inv = sum === 0 ? 0 : 1 / Math.sqrt(sum);
  const out = new Array<number>(dim);
  for (let j = 0; j < dim; j++) out[j] = vector[offset + j]! * inv;
  return out;
}

export function squaredL2(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, bOffset: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[aOffset + j]! - b[bOffset + j]!;
    sum += d * d;
  }
  return sum;
}
