import { describe, expect, it } from 'vitest';
import { sampleEpisodes, type Episode, type LabelledItem } from '../../../main/ml/episodes/episodeSampler';
import { seededRandom, shuffleInPlace } from '../../../main/ml/samplers/seededRandom';

function pool(classes: number, perClass: number): LabelledItem[] {
  const items: LabelledItem[] = [];
  for (let c = 0; c < classes; c++) for (let i = 0; i < perClass; i++) items.push({ itemId: `c${c}/img${i}.png`, classKey: `c${c}` });
  return items;
}

function plan(items: readonly LabelledItem[], over: Partial<Parameters<typeof sampleEpisodes>[1]> = {}): Episode[] {
  const result = sampleEpisodes(items, { way: 5, shot: 5, queries: 15, episodes: 50, seed: 1, ...over });
  if (!result.ok) throw new Error(result.message);
  return result.episodes;
}

describe('episode sampler', () => {
  it('draws N distinct classes, K support and Q query items per class, support and query disjoint', () => {
    for (const episode of plan(pool(12, 20))) {
      expect(new Set(episode.classes).size).toBe(5);
      expect(episode.support).toHaveLength(25);
      expect(episode.query).toHaveLength(75);
      const supportIds = new Set(episode.support.map((s) => s.itemId));
      expect(supportIds.size).toBe(25);
      expect(new Set(episode.query.map((q) => q.itemId)).size).toBe(75);
      expect(episode.query.some((q) => supportIds.has(q.itemId))).toBe(false);
      for (const classKey of episode.classes) {
        expect(episode.support.filter((s) => s.classKey === classKey)).toHaveLength(5);
        expect(episode.query.filter((q) => q.classKey === classKey)).toHaveLength(15);
      }
    }
  });

  it('is deterministic for a seed, independent of the pool order and of the episode count', () => {
    const items = pool(12, 20);
    const a = plan(items, { seed: 7 });
    const shuffled = shuffleInPlace(items.slice(), seededRandom(99));
    expect(plan(shuffled, { seed: 7 })).toEqual(a);
    expect(plan(items, { seed: 7, episodes: 10 })).toEqual(a.slice(0, 10));
    const other = plan(items, { seed: 8 });
    expect(other.map((e) => e.query.map((q) => q.itemId))).not.toEqual(a.map((e) => e.query.map((q) => q.itemId)));
  });

  it('varies its classes across episodes (all classes are drawn over a run)', () => {
    const drawn = new Set(plan(pool(12, 20)).flatMap((e) => e.classes));
    expect(drawn.size).toBe(12);
  });

  it('skips classes with fewer than K + Q items and says which', () => {
    const items = [...pool(6, 20), ...pool(8, 20).filter((i) => i.classKey === 'c7').map((i, n) => ({ ...i, itemId: `small/${n}`, classKey: 'small' })).slice(0, 19)];
    const result = sampleEpisodes(items, { way: 5, shot: 5, queries: 15, episodes: 30, seed: 1 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.skippedClasses).toEqual([{ classKey: 'small', items: 19 }]);
    expect(result.eligibleClasses).toBe(6);
    expect(result.episodes.some((e) => e.classes.includes('small'))).toBe(false);
  });

  it('returns an error value when too few classes are eligible or options are bad', () => {
    const tooFew = sampleEpisodes(pool(4, 20), { way: 5, shot: 5, queries: 15, episodes: 1, seed: 1 });
    expect(tooFew).toMatchObject({ ok: false, code: 'too-few-classes' });
    const small = sampleEpisodes(pool(6, 10), { way: 5, shot: 5, queries: 15, episodes: 1, seed: 1 });
    expect(small.ok ? '' : small.message).toMatch(/at least 20 items/);
    expect(sampleEpisodes(pool(6, 20), { way: 0, shot: 5, queries: 15, episodes: 1, seed: 1 })).toMatchObject({ ok: false, code: 'bad-options' });
    expect(sampleEpisodes(pool(6, 20), { way: 5, shot: 1.5, queries: 15, episodes: 1, seed: 1 })).toMatchObject({ ok: false, code: 'bad-options' });
  });

  it('accepts numeric ids (labelled catalogue items)', () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ itemId: i, classKey: `label-${i % 3}` }));
    const result = sampleEpisodes(items, { way: 3, shot: 2, queries: 4, episodes: 3, seed: 2 });
    expect(result.ok && result.episodes[0]?.query.every((q) => typeof q.itemId === 'number')).toBe(true);
  });
});
