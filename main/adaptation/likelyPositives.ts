/**
 * Archive images that probably belong to a target class although nobody labelled them. The adaptation job
 * samples unlabelled archive images as stand-in negatives (one class alone has nothing else to push away
 * from) and as distractors for its held-out check; an unlabelled image of the class itself among them
 * teaches the network to push the class away from itself and scores a correct ranking as wrong. So the
 * job leaves out, under the parent model, every candidate that lies as close to the class's prototype as
 * its own support shots do, and the few nearest besides.
 */

/** Candidates nearer a class prototype than this many times its shot count are always left out. */
const NEAREST_PER_SHOT = 2;

export function likelyPositives(supportByClass: readonly (readonly Float32Array[])[], candidates: ReadonlyMap<number, Float32Array>): Set<number> {
  const out = new Set<number>();
  for (const shots of supportByClass) {
    if (shots.length === 0) continue;
    const prototype = normalisedMean(shots);
    const radius = Math.max(...shots.map((v) => distance(v, prototype)));
    const ranked = [...candidates].map(([id, v]) => ({ id, d: distance(v, prototype) })).sort((a, b) => a.d - b.d);
    ranked.forEach(({ id, d }, rank) => {
      if (d <= radius || rank < NEAREST_PER_SHOT * shots.length) out.add(id);
    });
  }
  return out;
}

function normalisedMean(vectors: readonly Float32Array[]): Float32Array {
  const mean = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) + (v[i] as number);
  const norm = Math.hypot(...mean) || 1;
  return mean.map((x) => x / norm);
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(sum);
}
