import { describe, expect, it } from 'vitest';
import { likelyPositives } from '../../main/adaptation/likelyPositives';

const unit = (...xs: number[]) => {
  const v = Float32Array.from(xs);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('likely positives among unlabelled archive images', () => {
  it("leaves out candidates inside the shots' radius and the 2-per-shot nearest, keeps the rest", () => {
    const shots = [unit(1, 0.1, 0), unit(1, -0.1, 0)];
    const candidates = new Map<number, Float32Array>([
      [1, unit(1, 0, 0)], // at the prototype: inside the radius
      [2, unit(1, 0.05, 0)], // inside the radius
      [3, unit(0.6, 0.8, 0)], // outside the radius, but among the 4 nearest (2 shots x 2)
      [4, unit(0, 1, 0)], // 4th nearest
      [5, unit(0, 0, 1)], // far: a fair stand-in negative
      [6, unit(-1, 0, 0)], // far
    ]);
    expect([...likelyPositives([shots], candidates)].sort()).toEqual([1, 2, 3, 4]);
  });

  it('screens for every class and skips a class without stored shot vectors', () => {
    const candidates = new Map<number, Float32Array>([
      [1, unit(1, 0, 0)],
      [2, unit(0, 1, 0)],
      [3, unit(0, 0, 1)],
      [4, unit(-1, 0, 0)],
      [5, unit(0, -1, 0)],
      [6, unit(0, 0, -1)],
    ]);
    // One shot each, so the radius is 0 and each screened class leaves out its 2 nearest:
    // class 0 (near x, leaning to y) -> 1 and 2; class 2 (near z, leaning to -x) -> 3 and 4.
    const result = likelyPositives([[unit(1, 0.01, 0)], [], [unit(-0.01, 0, 1)]], candidates);
    expect([...result].sort()).toEqual([1, 2, 3, 4]);
  });
});
