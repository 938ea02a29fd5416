/**
 * A tiny DICOM Part-10 writer for end-to-end fixtures: explicit VR little endian, a file meta group with
 * its correct group length, MONOCHROME2 16-bit unsigned native pixel data, and the header facts the
 * catalogue files a series by (patient, study and series UIDs, modality, series number/description,
 * instance number, image position). Pixel content differs per series (a pattern of its own) and a little
 * per slice, so embeddings of one series are near each other and far from the others.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const SOP_CLASS = { CT: '1.2.840.10008.5.1.4.1.1.2', MR: '1.2.840.10008.5.1.4.1.1.4' } as const;
const ROOT = '1.2.826.0.1.3680043.10.1137';
/** VRs with a 4-byte length after two reserved bytes. */
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

export type Pattern = 'disk' | 'stripes' | 'checker' | 'gradient' | 'ring' | 'cross';

export interface SeriesSpec {
  patientId: string;
  studyIndex: number;
  studyDate: string; // YYYYMMDD
  modality: 'CT' | 'MR';
  seriesNumber: number;
  description: string;
  bodyPart: string;
  slices: number;
  pattern: Pattern;
}

export interface WrittenInstance {
  file: string;
  seriesNumber: number;
  instanceNumber: number;
  sopInstanceUid: string;
}

function element(group: number, elementNo: number, vr: string, value: Buffer | string): Buffer {
  let data: Buffer;
  if (typeof value === 'string') {
    data = Buffer.from(value, 'latin1');
    // Even length: UIDs pad with NUL, text with a space.
    if (data.length % 2 === 1) data = Buffer.concat([data, Buffer.from(vr === 'UI' ? '\0' : ' ', 'latin1')]);
  } else {
    data = value.length % 2 === 1 ? Buffer.concat([value, Buffer.alloc(1)]) : value;
  }
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elementNo, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(data.length, 8);
  else head.writeUInt16LE(data.length, 6);
  return Buffer.concat([head, data]);
}

function us(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value, 0);
  return b;
}

function ul(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value, 0);
  return b;
}

/** 16-bit pixels of one slice: the series' pattern, shifted a little with the slice. */
export function slicePixels(pattern: Pattern, slice: number, size: number): Buffer {
  const out = Buffer.alloc(size * size * 2);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      const r = Math.sqrt(dx * dx + dy * dy);
      let v: number;
      switch (pattern) {
        case 'disk':
          v = r < size * 0.3 + slice * 0.4 ? 3000 : 200;
          break;
        case 'stripes':
          v = Math.floor((y + slice) / 4) % 2 === 0 ? 3200 : 100;
          break;
        case 'checker':
          v = (Math.floor(x / 8) + Math.floor((y + slice) / 8)) % 2 === 0 ? 2800 : 300;
          break;
        case 'gradient':
          v = Math.round((x / (size - 1)) * 3500) + slice * 20;
          break;
        case 'ring':
          v = Math.abs(r - size * 0.3) < 2 + slice * 0.2 ? 3300 : 150;
          break;
        case 'cross':
          v = Math.abs(dx) < 3 + slice * 0.3 || Math.abs(dy) < 3 + slice * 0.3 ? 3100 : 250;
          break;
      }
      out.writeUInt16LE(Math.max(0, Math.min(4095, v)), (y * size + x) * 2);
    }
  }
  return out;
}

export interface InstanceSpec extends SeriesSpec {
  instanceNumber: number;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  size: number;
}

/** One Part-10 file (preamble, DICM, meta group, data set in ascending tag order). */
export function dicomFile(spec: InstanceSpec): Buffer {
  const sopClass = SOP_CLASS[spec.modality];
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', sopClass),
    element(0x0002, 0x0003, 'UI', spec.sopInstanceUid),
    element(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    element(0x0002, 0x0012, 'UI', `${ROOT}.0.1`),
    element(0x0002, 0x0013, 'SH', 'SIMILA_E2E'),
  ]);
  const meta = Buffer.concat([element(0x0002, 0x0000, 'UL', ul(metaBody.length)), metaBody]);
  const z = spec.instanceNumber * 2.5;
  const dataSet = Buffer.concat([
    element(0x0008, 0x0008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    element(0x0008, 0x0016, 'UI', sopClass),
    element(0x0008, 0x0018, 'UI', spec.sopInstanceUid),
    element(0x0008, 0x0020, 'DA', spec.studyDate),
    element(0x0008, 0x0060, 'CS', spec.modality),
    element(0x0008, 0x1030, 'LO', `Study ${spec.studyIndex}`),
    element(0x0008, 0x103e, 'LO', spec.description),
    element(0x0010, 0x0010, 'PN', `E2E^${spec.patientId}`),
    element(0x0010, 0x0020, 'LO', spec.patientId),
    element(0x0018, 0x0015, 'CS', spec.bodyPart),
    element(0x0018, 0x0050, 'DS', '2.5'),
    element(0x0020, 0x000d, 'UI', spec.studyUid),
    element(0x0020, 0x000e, 'UI', spec.seriesUid),
    element(0x0020, 0x0010, 'SH', String(spec.studyIndex)),
    element(0x0020, 0x0011, 'IS', String(spec.seriesNumber)),
    element(0x0020, 0x0013, 'IS', String(spec.instanceNumber)),
    element(0x0020, 0x0032, 'DS', `0\\0\\${z}`),
    element(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
    element(0x0020, 0x1041, 'DS', String(z)),
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    element(0x0028, 0x0010, 'US', us(spec.size)),
    element(0x0028, 0x0011, 'US', us(spec.size)),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(12)),
    element(0x0028, 0x0102, 'US', us(11)),
    element(0x0028, 0x0103, 'US', us(0)),
    element(0x0028, 0x1050, 'DS', '1000'),
    element(0x0028, 0x1051, 'DS', '4000'),
    element(0x0028, 0x1052, 'DS', spec.modality === 'CT' ? '-1024' : '0'),
    element(0x0028, 0x1053, 'DS', '1'),
    element(0x7fe0, 0x0010, 'OW', slicePixels(spec.pattern, spec.instanceNumber, spec.size)),
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, dataSet]);
}

/**
 * The default fixture: 2 patients, 3 studies, 4 series of 4-6 slices (CT and MR mixed), 32 x 32.
 * Files are named so that their names sort differently from the slice order.
 */
export const defaultSeries: SeriesSpec[] = [
  { patientId: 'PAT-A', studyIndex: 1, studyDate: '20200115', modality: 'CT', seriesNumber: 1, description: 'CT AXIAL DISK', bodyPart: 'CHEST', slices: 6, pattern: 'disk' },
  { patientId: 'PAT-A', studyIndex: 1, studyDate: '20200115', modality: 'CT', seriesNumber: 2, description: 'CT AXIAL STRIPES', bodyPart: 'CHEST', slices: 5, pattern: 'stripes' },
  { patientId: 'PAT-A', studyIndex: 2, studyDate: '20210320', modality: 'MR', seriesNumber: 1, description: 'MR T1 CHECKER', bodyPart: 'HEAD', slices: 4, pattern: 'checker' },
  { patientId: 'PAT-B', studyIndex: 3, studyDate: '20190907', modality: 'MR', seriesNumber: 1, description: 'MR T2 RING', bodyPart: 'HEAD', slices: 5, pattern: 'ring' },
];

/** Writes the series under `folder` (one sub-folder per study) and says what went where. */
export async function writeDicomSeries(folder: string, series: readonly SeriesSpec[] = defaultSeries, size = 32): Promise<WrittenInstance[]> {
  const written: WrittenInstance[] = [];
  for (const spec of series) {
    const studyUid = `${ROOT}.${spec.studyIndex}`;
    const seriesUid = `${studyUid}.${spec.seriesNumber}`;
    const dir = path.join(folder, `study${spec.studyIndex}`);
    await mkdir(dir, { recursive: true });
    for (let n = 1; n <= spec.slices; n++) {
      const sopInstanceUid = `${seriesUid}.${n}`;
      // Reverse-ordered names: import order is not slice order.
      const file = path.join(dir, `s${spec.seriesNumber}-${String(100 - n).padStart(3, '0')}.dcm`);
      await writeFile(file, dicomFile({ ...spec, instanceNumber: n, studyUid, seriesUid, sopInstanceUid, size }));
      written.push({ file, seriesNumber: spec.seriesNumber, instanceNumber: n, sopInstanceUid });
    }
  }
  return written;
}
