/**
 * Seeded N-way K-shot episodes over a labelled pool (ImageFolder files, or labelled catalogue items):
 * N classes, K support items per class and Q query items per class, support and query disjoint.
 *
 * Episode i depends only on (seed, i) and on the pool's content, not on the order the pool was
 * listed in nor on how many episodes were asked for: the first 100 episodes of a 600-episode run are
 * the episodes of a 100-episode run with the same seed.
 */
import { seededRandom, shuffleInPlace } from '../samplers/seededRandom';

export interface LabelledItem<Id = string> {
  itemId: Id;
  classKey: string;
}

export interface EpisodeOptions {
  /** N: classes per episode. */
  way: number;
  /** K: support items per class. */
  shot: number;
  /** Q: query items per class. */
  queries: number;
  episodes: number;
  seed: number;
}

export interface Episode<Id = string> {
  index: number;
  /** The episode's classes, in the order they were drawn. */
  classes: string[];
  /** K items of each class, grouped by class in `classes` order. */
  support: LabelledItem<Id>[];
  /** Q items of each class, none of them in `support`. */
  query: LabelledItem<Id>[];
}

export type EpisodePlan<Id = string> =
  | {
      ok: true;
      episodes: Episode<Id>[];
      /** Classes with fewer than K + Q items, never drawn (key and item count). */
      skippedClasses: { classKey: string; items: number }[];
      eligibleClasses: number;
    }
  | { ok: false; code: 'bad-options' | 'too-few-classes'; message: string };

/** A 32-bit seed per episode from the run's seed (a murmur3-style mix, so neighbouring seeds diverge). */
function episodeSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function positiveInteger(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}

export function sampleEpisodes<Id>(pool: readonly LabelledItem<Id>[], options: EpisodeOptions): EpisodePlan<Id> {
  const { way, shot, queries, episodes, seed } = options;
  if (!positiveInteger(way) || !positiveInteger(shot) || !positiveInteger(queries) || !positiveInteger(episodes) || !Number.isInteger(seed)) {
    return { ok: false, code: 'bad-options', message: `way, shot, queries and episodes must be positive whole numbers and seed a whole number (got ${way}, ${shot}, ${queries}, ${episodes}, ${seed})` };
  }
  // Canonical order (classes and items sorted) so the listing order of the pool cannot change episodes.
  const byClass = new Map<string, LabelledItem<Id>[]>();
  for (const item of pool) {
    const members = byClass.get(item.classKey) ?? [];
    members.push(item);
    byClass.set(item.classKey, members);
  }
  const needed = shot + queries;
  const eligible: { classKey: string; items: LabelledItem<Id>[] }[] = [];
  const skippedClasses: { classKey: string; items: number }[] = [];
  for (const classKey of [...byClass.keys()].sort(compareText)) {
    const items = (byClass.get(classKey) ?? []).slice().sort((a, b) => compareText(String(a.itemId), String(b.itemId)));
    if (items.length >= needed) eligible.push({ classKey, items });
    else skippedClasses.push({ classKey, items: items.length });
  }
  if (eligible.length < way) {
    return {
      ok: false,
      code: 'too-few-classes',
      message: `a ${way}-way episode needs ${way} classes with at least ${needed} items (${shot} support + ${queries} query); the data has ${eligible.length}` +
        (skippedClasses.length > 0 ? ` (${skippedClasses.length} classes have fewer)` : ''),
    };
  }

  const planned: Episode<Id>[] = [];
  for (let index = 0; index < episodes; index++) {
    const random = seededRandom(episodeSeed(seed, index));
    const chosen = shuffleInPlace(eligible.map((_, i) => i), random).slice(0, way);
    const classes: string[] = [];
    const support: LabelledItem<Id>[] = [];
    const query: LabelledItem<Id>[] = [];
    for (const c of chosen) {
      const { classKey, items } = eligible[c] as (typeof eligible)[number];
      const drawn = shuffleInPlace(items.slice(), random).slice(0, needed);
      classes.push(classKey);
      support.push(...drawn.slice(0, shot));
      query.push(...drawn.slice(shot));
    }
    planned.push({ index, classes, support, query });
  }
  return { ok: true, episodes: planned, skippedClasses, eligibleClasses: eligible.length };
}
