/**
 * The before/after check of an adaptation: each held-out shot ranks a gallery (the classes' support
 * shots, hard negatives and a sample of the archive) by Euclidean distance; the same class's support
 * shots are the relevant items. MAP@R (R = relevant items in the gallery), precision@5 and Recall@1.
 */
export interface HeldOutScore {
  mapAtR: number;
  precisionAt5: number;
  recallAt1: number;
  queries: number;
}

/** Label of a gallery row; null = not of any target class (archive sample, negatives). */
export type GalleryLabel = number | null;

function squaredDistance(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let sum = 0;
  for (let d = 0; d < dim; d++) {
    const diff = (a[aOffset + d] ?? 0) - (b[bOffset + d] ?? 0);
    sum += diff * diff;
  }
  return sum;
}

/** `queries` and `gallery` are row-major [n, dim]; null when there is no query with a relevant item. */
export function heldOutScore(queries: Float32Array, queryLabels: readonly number[], gallery: Float32Array, galleryLabels: readonly GalleryLabel[], dim: number): HeldOutScore | null {
  let mapSum = 0;
  let p5Sum = 0;
  let r1Sum = 0;
  let counted = 0;
  queryLabels.forEach((label, q) => {
    const relevant = galleryLabels.filter((g) => g === label).length;
    if (relevant === 0) return;
    const order = galleryLabels
      .map((g, i) => ({ hit: g === label, d: squaredDistance(queries, q * dim, gallery, i * dim, dim) }))
      .sort((a, b) => a.d - b.d);
    let hits = 0;
    let precisionSum = 0;
    order.slice(0, relevant).forEach((item, rank) => {
      if (!item.hit) return;
      hits++;
      precisionSum += hits / (rank + 1);
    });
    mapSum += precisionSum / relevant;
    const top5 = order.slice(0, Math.min(5, order.length));
    p5Sum += top5.filter((item) => item.hit).length / Math.max(1, top5.length);
    r1Sum += order[0]?.hit ? 1 : 0;
    counted++;
  });
  if (counted === 0) return null;
  return { mapAtR: mapSum / counted, precisionAt5: p5Sum / counted, recallAt1: r1Sum / counted, queries: counted };
}
