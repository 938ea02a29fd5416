// Every file of the DICOM corpus either decodes or fails with a reason code; nothing throws or hangs.
// Files the reference decoder (pydicom 2.3 + Pillow) decoded must decode with the same geometry, and
// the compressed syntaxes it lacked codecs for must decode too (apart from known-broken files).
import { describe, expect, it } from 'vitest';
import { decodeDicom, type DicomErrorCode } from '../../../main/ingest/dicom';
import { corpusPresent, readCorpusFile, readIndexRows, type IndexRow } from './corpusHelpers';

const CODES: DicomErrorCode[] = ['dicom_not_dicom', 'dicom_truncated', 'dicom_unsupported_syntax', 'dicom_no_pixel_data', 'dicom_too_large', 'dicom_decode_error'];

// Files that must fail, with the reason: broken on purpose, or 12-bit lossy JPEG (no codec installed).
const EXPECTED_FAILURES: Record<string, DicomErrorCode> = {
  'pydicom_test_files/MR_truncated.dcm': 'dicom_truncated',
  'pydicom_test_files/JPEG2000-embedded-sequence-delimiter.dcm': 'dicom_too_large',
  'pylibjpeg_data/ds/JPEG2000Lossless/966.dcm': 'dicom_decode_error',
  'pydicom_test_files/JPEG-lossy.dcm': 'dicom_unsupported_syntax',
  'pydicom_test_files/JPGExtended.dcm': 'dicom_unsupported_syntax',
  'pylibjpeg_data/ds/JPEGExtended/JPEG-lossy.dcm': 'dicom_unsupported_syntax',
  'pylibjpeg_data/ds/JPEGExtended/JPEGExtended_1s_1f_u_16_12.dcm': 'dicom_unsupported_syntax',
  'pylibjpeg_data/ds/JPEGExtended/RG2_JPLY.dcm': 'dicom_unsupported_syntax',
  'pylibjpeg_data/ds/JPEGExtended/RG2_JPLY_fixed.dcm': 'dicom_unsupported_syntax',
  'dicomParser_testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm': 'dicom_unsupported_syntax',
};

const CODEC_SYNTAXES = /\(1\.2\.840\.10008\.1\.2\.4\.(57|70|80|81|90|91|201|202|203)\)|\(1\.2\.840\.10008\.1\.2\.(5|8\.1)\)/;

interface Outcome {
  row: IndexRow;
  code: DicomErrorCode | 'ok';
  geometry?: [number, number, number];
}

function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${label} took over ${ms} ms`)), ms))]);
}

async function decodeOne(row: IndexRow): Promise<Outcome> {
  const result = await decodeDicom(readCorpusFile(row.file));
  if (!result.ok) return { row, code: result.code };
  const { image } = result;
  const frame = await image.frame(Math.floor(image.frames / 2));
  return { row, code: frame.ok ? 'ok' : frame.code, geometry: [image.rows, image.columns, image.frames] };
}

describe.skipIf(!corpusPresent)('DICOM corpus', () => {
  it('decodes or rejects every indexed file, as the reference (and better)', { timeout: 120_000 }, async () => {
    const rows = readIndexRows();
    expect(rows.length).toBeGreaterThan(300);
    const outcomes: Outcome[] = [];
    for (const row of rows) outcomes.push(await withTimeout(decodeOne(row), 15_000, row.file));

    const problems: string[] = [];
    for (const { row, code, geometry } of outcomes) {
      if (code !== 'ok' && !CODES.includes(code)) problems.push(`${row.file}: unknown code ${code}`);
      const expectedFailure = EXPECTED_FAILURES[row.file];
      if (expectedFailure) {
        if (code !== expectedFailure) problems.push(`${row.file}: expected ${expectedFailure}, got ${code}`);
        continue;
      }
      const mustDecode = row.reference.startsWith('decoded') || (row.hasPixelData && CODEC_SYNTAXES.test(row.transferSyntax));
      if (mustDecode && code !== 'ok') problems.push(`${row.file}: reference decoded it, we got ${code}`);
      if (code === 'ok' && row.reference.startsWith('decoded') && Number.isFinite(row.frames)) {
        const expected: [number, number, number] = [row.rows, row.columns, row.frames];
        if (JSON.stringify(geometry) !== JSON.stringify(expected)) problems.push(`${row.file}: geometry ${geometry} != ${expected}`);
      }
    }
    expect(problems).toEqual([]);

    // The closing-note table: transfer syntax -> ours vs the reference.
    const table = new Map<string, { files: number; ok: number; refOk: number; failed: Record<string, number> }>();
    for (const { row, code } of outcomes) {
      const entry = table.get(row.transferSyntax) ?? { files: 0, ok: 0, refOk: 0, failed: {} };
      entry.files++;
      if (code === 'ok') entry.ok++;
      else entry.failed[code] = (entry.failed[code] ?? 0) + 1;
      if (row.reference.startsWith('decoded')) entry.refOk++;
      table.set(row.transferSyntax, entry);
    }
    console.log([...table].map(([ts, e]) => `${ts}\t${e.files} files\tdecoded ${e.ok}\treference ${e.refOk}\t${JSON.stringify(e.failed)}`).join('\n'));
  });
});
