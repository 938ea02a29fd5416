import { describe, expect, it } from 'vitest';
import { decodeTrunkRowInto, encodeTrunkRow, trunkRowLength } from '../../main/catalogue/repositories/trunkRowCodec';
import { seededRandom } from '../../main/ml/samplers/seededRandom';

describe('8-bit trunk rows', () => {
  it('round-trips within half a step of the row range, ends exact, in a quarter of float32 space', () => {
    const random = seededRandom(4);
    const row = Float32Array.from({ length: 6400 }, () => (random() < 0.4 ? 0 : random() * 7.5));
    row[10] = -0.25; // a leaky activation's negative value
    const blob = encodeTrunkRow(row);
    expect(blob.byteLength).toBe(6400 + 8);
    expect(trunkRowLength(blob)).toBe(6400);
    const back = new Float32Array(6400 + 3);
    decodeTrunkRowInto(blob, back, 3);
    const low = Math.min(...row);
    const high = Math.max(...row);
    let worst = 0;
    row.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (back[i + 3] as number)))));
    expect(worst).toBeLessThanOrEqual((high - low) / 510 + 1e-6);
    expect(worst).toBeGreaterThan(0); // it is a lossy code: the test would notice float32 storage
    expect(back[3 + row.indexOf(high)]).toBeCloseTo(high, 5);
    expect(back[3 + 10]).toBeCloseTo(low, 5);
  });

  it('keeps constant and empty rows exact', () => {
    const constant = new Float32Array([2.5, 2.5, 2.5]);
    const back = new Float32Array(3);
    decodeTrunkRowInto(encodeTrunkRow(constant), back, 0);
    expect([...back]).toEqual([2.5, 2.5, 2.5]);
    expect(trunkRowLength(encodeTrunkRow(new Float32Array(0)))).toBe(0);
  });
});
