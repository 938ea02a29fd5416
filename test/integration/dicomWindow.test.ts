/**
 * Every CT and MR file of ../shared/data/dicom that decodes shows its body in its first view: the
 * middle frame rendered the way the app does (the DICOM decoder's 'full' rendition, the same window as
 * the thumbnail and the viewer's first render), read back from the PNG, clips at most 20% of the body
 * pixels to pure black (0) or white (255), and the body is no flat blob (its 1st..99th percentile of grey
 * levels spans at least 24 of 255). The old default (first header preset, else 0.5..99.5 percentile of
 * all values) failed both: CT0012 (brain, values 0..1172 without a rescale to HU) spanned 13 grey levels
 * in a near-white blob, 693_J2KI/UNCI clipped 43% with the header's W100/L40, J2K_pixelrep_mismatch 49%,
 * MR_small 26% (W1600/L600), the dicomdir CT2 crops 99-100%.
 *
 * Body mask, computed here independently of main/ingest/dicom/autoWindow.ts and by a different rule:
 * 1. padding: any exact value holding >= 2% of the frame's pixels whose neighbourhood (+-1% of the value
 *    range, the value itself excluded) holds under a quarter as many pixels - an isolated histogram spike
 *    such as -3024 / -2048 / -2000 outside the scan circle or a zero fill - is never body;
 * 2. CT with a rescale to HU (intercept < 0 or type HU): body = values > -400 HU (air, lung out);
 * 3. otherwise: Otsu's threshold (256 bins) over the remaining values; body = values above it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createDicomDecoder, middleFrame } from '../../main/ingest/decoders/dicomDecoder';
import { DEFAULT_LIMITS } from '../../main/ingest/decoders/types';
import { sniff } from '../../main/ingest/sniff';
import { decodeDicom } from '../../main/ingest/dicom';
import { corpusPresent, dicomRoot } from '../ingest/dicom/corpusHelpers';

const MAX_CLIPPED = 0.2;
const MIN_SPREAD = 24;

/** CT and MR files of the corpus, from the INDEX.tsv files (modality column). */
function ctAndMrFiles(): { file: string; modality: string }[] {
  const out: { file: string; modality: string }[] = [];
  for (const folder of readdirSync(dicomRoot)) {
    const index = path.join(dicomRoot, folder, 'INDEX.tsv');
    if (!existsSync(index)) continue;
    const [head, ...lines] = readFileSync(index, 'utf8').split('\n').filter(Boolean);
    const cols = head!.split('\t');
    const pathCol = cols.indexOf('path');
    const modalityCol = cols.indexOf('modality');
    for (const line of lines) {
      const f = line.split('\t');
      const modality = f[modalityCol] ?? '';
      if (modality === 'CT' || modality === 'MR') out.push({ file: path.join(folder, f[pathCol]!), modality });
    }
  }
  return out;
}

function otsu(values: number[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return lo - 1;
  const bins = 256;
  const hist = new Float64Array(bins);
  for (const v of values) hist[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!++;
  let sum = 0;
  for (let b = 0; b < bins; b++) sum += b * hist[b]!;
  let wBelow = 0;
  let sumBelow = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    wBelow += hist[b]!;
    sumBelow += b * hist[b]!;
    const wAbove = values.length - wBelow;
    if (wBelow === 0 || wAbove === 0) continue;
    const between = wBelow * wAbove * (sumBelow / wBelow - (sum - sumBelow) / wAbove) ** 2;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return lo + ((bestBin + 1) / bins) * (hi - lo);
}

function bodyMask(data: Float32Array, huCt: boolean): Uint8Array {
  const counts = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const radius = (hi - lo) * 0.01;
  const padding = new Set<number>();
  for (const [v, c] of counts) {
    if (c < data.length * 0.02) continue;
    let around = 0;
    for (const [w, k] of counts) if (w !== v && Math.abs(w - v) <= radius) around += k;
    if (around * 4 < c) padding.add(v);
  }
  let threshold = -400;
  if (!huCt) threshold = otsu(Array.from(data).filter((v) => !padding.has(v)));
  const mask = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) mask[i] = !padding.has(data[i]!) && data[i]! > threshold ? 1 : 0;
  return mask;
}

describe.skipIf(!corpusPresent)('first view of CT and MR: the body is neither clipped nor flat', () => {
  it('every decodable CT/MR file of the corpus', async () => {
    const decoder = createDicomDecoder();
    const report: string[] = [];
    const failures: string[] = [];
    let checked = 0;
    for (const { file, modality } of ctAndMrFiles()) {
      const bytes = readFileSync(path.join(dicomRoot, file));
      const decoded = await decodeDicom(bytes);
      if (!decoded.ok) continue;
      const image = decoded.image;
      const frame = await image.frame(middleFrame(image.frames));
      if (!frame.ok || frame.frame.kind !== 'mono') continue;
      // The app's rendition (no resize: maxSide covers the image), read back as grey levels.
      const sniffed = sniff(bytes) ?? { format: 'dicom' as const, mime: 'application/dicom' };
      const rendition = await decoder.renderFull!({ bytes, sniffed, maxSide: Math.max(image.rows, image.columns), limits: DEFAULT_LIMITS });
      if (!rendition.ok) throw new Error(`${file}: ${rendition.message}`);
      const { data: grey, info } = await sharp(rendition.png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect(info.width * info.height, file).toBe(frame.frame.data.length);

      const huCt = modality === 'CT' && (image.rescale.intercept < 0 || image.rescale.type?.toUpperCase() === 'HU');
      const mask = bodyMask(frame.frame.data, huCt);
      const levels: number[] = [];
      let clipped = 0;
      for (let i = 0; i < mask.length; i++) {
        if (!mask[i]) continue;
        const g = grey[i]!;
        levels.push(g);
        if (g === 0 || g === 255) clipped++;
      }
      if (levels.length === 0) continue;
      levels.sort((a, b) => a - b);
      const share = clipped / levels.length;
      const spread = levels[Math.floor((levels.length - 1) * 0.99)]! - levels[Math.floor((levels.length - 1) * 0.01)]!;
      checked++;
      report.push(`${file}: body ${(levels.length / mask.length).toFixed(2)} clipped ${share.toFixed(3)} spread ${spread}`);
      if (share > MAX_CLIPPED) failures.push(`${file}: ${(share * 100).toFixed(1)}% of the body clipped to 0/255`);
      if (spread < MIN_SPREAD && new Set(frame.frame.data).size > MIN_SPREAD) failures.push(`${file}: body spans only ${spread} grey levels`);
    }
    expect(checked).toBeGreaterThan(50);
    expect(failures, report.join('\n')).toEqual([]);
  });
});
