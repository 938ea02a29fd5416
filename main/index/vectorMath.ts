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

/** Throws when `vectors` is not `count` rows of `dim` floats (an insert's ids and vectors disagree). */
export function checkRows(count: number, vectors: ArrayLike<number>, dim: number): void {
  if (vectors.length !== count * dim) throw new RangeError(`add: ${count} ids need ${count * dim} floats, got ${vectors.length}.`);
}

/** Throws when a query is not of the index's dimension. */
export function checkQuery(query: ArrayLike<number>, dim: number): void {
  if (query.length !== dim) throw new RangeError(`search: query has ${query.length} values, index has ${dim}.`);
}
