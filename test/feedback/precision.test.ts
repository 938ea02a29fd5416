import { describe, expect, it } from 'vitest';
import type { Judgement } from '../../shared/rpc/contract';
import { averagePrecision, feedbackPrecision, precisionAtCutoff } from '../../main/feedback/precision';

const R: Judgement = 'relevant';
const N: Judgement = 'not_relevant';
const U: Judgement = 'unsure';

describe('precision from the marks, with its coverage', () => {
  // ranks:      1  2  3  4  5  6  7  8  9  10 11 12
  const ranked = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  // judged: 11 R, 12 N, 13 unjudged, 14 R, 15 U, 16 N, 17 R, 18 unjudged, 19 N, 20 R, 21 unjudged, 22 R
  const marks = new Map<number, Judgement>([[11, R], [12, N], [14, R], [15, U], [16, N], [17, R], [19, N], [20, R], [22, R]]);

  it('counts unjudged and unsure as not relevant in the figure, as relevant only in the upper end', () => {
    // top 5: R N . R U -> 3 judged, 2 relevant, 2 unknown
    expect(precisionAtCutoff(ranked, marks, 5)).toEqual({ k: 5, positions: 5, judged: 3, relevant: 2, precision: 2 / 5, upper: 4 / 5, judgedOnly: 2 / 3 });
    // top 10: R N . R U N R . N R -> 7 judged, 4 relevant
    const at10 = precisionAtCutoff(ranked, marks, 10);
    expect(at10.precision).toBeCloseTo(4 / 10, 12);
    expect(at10.upper).toBeCloseTo(7 / 10, 12);
    expect(at10.judgedOnly).toBeCloseTo(4 / 7, 12);
    // top 20 of a 12-long list: 12 positions, 8 judged, 5 relevant
    const at20 = precisionAtCutoff(ranked, marks, 20);
    expect([at20.positions, at20.judged, at20.relevant]).toEqual([12, 8, 5]);
    expect(at20.precision).toBeCloseTo(5 / 12, 12);
    // nothing judged (an unsure mark is no judgement): no figure
    expect(precisionAtCutoff(ranked, new Map([[13, U]]), 5)).toMatchObject({ judged: 0, precision: null, upper: null, judgedOnly: null });
  });

  it('six judged relevant and four unjudged in the top 10 is 0.60, not 1.00', () => {
    const list = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const six = new Map<number, Judgement>([1, 2, 3, 4, 5, 6].map((id) => [id, R]));
    const summary = feedbackPrecision(list, six);
    expect(summary.precisionAt10).toBeCloseTo(0.6, 12);
    expect(summary.cutoffs[1]).toMatchObject({ k: 10, judged: 6, relevant: 6, upper: 1, judgedOnly: 1 });
  });

  it('AP: precision at each judged-relevant rank, unjudged counted as not relevant', () => {
    // relevant at ranks 1, 4, 7, 10, 12
    const expected = (1 / 1 + 2 / 4 + 3 / 7 + 4 / 10 + 5 / 12) / 5;
    expect(averagePrecision(ranked, marks)).toBeCloseTo(expected, 12);
    expect(averagePrecision([1, 2, 3], new Map([[2, N]]))).toBe(0);
    expect(averagePrecision([1, 2, 3], new Map())).toBeNull();
    // a relevant item judged but not in the list does not count
    expect(averagePrecision([1, 2], new Map([[2, R], [99, R]]))).toBe(0.5);
  });

  it('summarises counts, the list length and all cut-offs', () => {
    const summary = feedbackPrecision(ranked, marks);
    expect(summary.judged).toBe(8);
    expect(summary.relevant).toBe(5);
    expect(summary.listed).toBe(12);
    expect(summary.cutoffs.map((c) => c.k)).toEqual([5, 10, 20]);
    expect(summary.precisionAt5).toBeCloseTo(2 / 5, 12);
    expect(summary.precisionAt20).toBeCloseTo(5 / 12, 12);
  });
});
