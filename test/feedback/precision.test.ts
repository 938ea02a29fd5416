import { describe, expect, it } from 'vitest';
import type { Judgement } from '../../shared/rpc/contract';
import { feedbackPrecision, judgedAveragePrecision, precisionAtK } from '../../main/feedback/precision';

const R: Judgement = 'relevant';
const N: Judgement = 'not_relevant';
const U: Judgement = 'unsure';

describe('precision over the judged part of a list', () => {
  // ranks:      1  2  3  4  5  6  7  8  9  10 11 12
  const ranked = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  // judged: 11 R, 12 N, 13 unjudged, 14 R, 15 U, 16 N, 17 R, 18 unjudged, 19 N, 20 R, 21 unjudged, 22 R
  const marks = new Map<number, Judgement>([[11, R], [12, N], [14, R], [15, U], [16, N], [17, R], [19, N], [20, R], [22, R]]);

  it('precision@k counts only relevant / not-relevant marks in the top k', () => {
    // top 5: R N . R U -> judged 3, relevant 2
    expect(precisionAtK(ranked, marks, 5)).toBeCloseTo(2 / 3, 12);
    // top 10: R N . R U N R . N R -> judged 7, relevant 4
    expect(precisionAtK(ranked, marks, 10)).toBeCloseTo(4 / 7, 12);
    // top 20 (whole list of 12): judged 8, relevant 5
    expect(precisionAtK(ranked, marks, 20)).toBeCloseTo(5 / 8, 12);
    expect(precisionAtK(ranked, new Map([[13, U]]), 5)).toBeNull();
  });

  it('AP of the judged sub-list: mean precision at each relevant position', () => {
    // judged sub-list: R N R N R N R R -> relevant at positions 1,3,5,7,8
    const expected = (1 / 1 + 2 / 3 + 3 / 5 + 4 / 7 + 5 / 8) / 5;
    expect(judgedAveragePrecision(ranked, marks)).toBeCloseTo(expected, 12);
    expect(judgedAveragePrecision([1, 2, 3], new Map([[2, N]]))).toBe(0);
    expect(judgedAveragePrecision([1, 2, 3], new Map())).toBeNull();
    // a relevant item judged but not in the list does not count
    expect(judgedAveragePrecision([1, 2], new Map([[2, R], [99, R]]))).toBe(1);
  });

  it('summarises counts and all cut-offs', () => {
    const summary = feedbackPrecision(ranked, marks);
    expect(summary.judged).toBe(8);
    expect(summary.relevant).toBe(5);
    expect(summary.precisionAt5).toBeCloseTo(2 / 3, 12);
    expect(summary.precisionAt20).toBeCloseTo(5 / 8, 12);
  });
});
