// Shared helpers for the DICOM tests: where the read-only corpus lives and how to read its INDEX.tsv files.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeDicom, type DicomFrame, type DicomImage } from '../../../main/ingest/dicom';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const dataRoot = process.env.SIMILA_DATA ?? path.resolve(repoRoot, '../shared/data');
export const dicomRoot = path.join(dataRoot, 'dicom');
export const corpusPresent = existsSync(dicomRoot);

export interface IndexRow {
  /** Path relative to dicomRoot. */
  file: string;
  transferSyntax: string;
  rows: number;
  columns: number;
  frames: number;
  photometric: string;
  hasPixelData: boolean;
  reference: string;
}

export function readIndexRows(): IndexRow[] {
  const rows: IndexRow[] = [];
  for (const folder of readdirSync(dicomRoot)) {
    const indexPath = path.join(dicomRoot, folder, 'INDEX.tsv');
    if (!existsSync(indexPath)) continue;
    const lines = readFileSync(indexPath, 'utf8').split('\n').filter(Boolean);
    const header = lines[0]!.split('\t');
    const col = (name: string) => header.findIndex((h) => h.startsWith(name));
    for (const line of lines.slice(1)) {
      const f = line.split('\t');
      rows.push({
        file: path.join(folder, f[col('path')]!),
        transferSyntax: f[col('transfer_syntax')] ?? '',
        rows: Number(f[col('rows')]),
        columns: Number(f[col('cols')]),
        frames: Number(f[col('frames')]),
        photometric: f[col('photometric')] ?? '',
        hasPixelData: f[col('has_pixel_data')] === 'True',
        reference: f[col('pixel_decode')] ?? '',
      });
    }
  }
  return rows;
}

export function readCorpusFile(relative: string): Uint8Array {
  return readFileSync(path.join(dicomRoot, relative));
}

export async function openImage(relative: string): Promise<DicomImage> {
  const result = await decodeDicom(readCorpusFile(relative));
  if (!result.ok) throw new Error(`${relative}: ${result.code} ${result.message}`);
  return result.image;
}

export async function decodeFrame(image: DicomImage, index: number): Promise<DicomFrame> {
  const result = await image.frame(index);
  if (!result.ok) throw new Error(`frame ${index}: ${result.code} ${result.message}`);
  return result.frame;
}

/** Index of the first differing element, or -1 when equal in length and content. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
