// Reads the Image Pixel module, Modality LUT, VOI LUT, palette and catalogue facts from a DataSet.
// Patient-identifying attributes are never kept: Patient ID is only read to form a one-way digest.
import { createHash } from 'node:crypto';
import type { DataSet, Element } from './dicomParserModule';
import type { DicomMeta, LutPreset, VoiFunction, VoiPreset } from './types';

export interface Lut {
  /** Number of entries (0 in the descriptor means 65536). */
  count: number;
  /** Stored value mapped to entry 0. */
  firstMapped: number;
  bitsPerEntry: number;
  data: Uint16Array;
}

export interface PixelHeader {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  planarConfiguration: 0 | 1;
  pixelData?: Element;
  /** Float / Double Float Pixel Data (parametric maps): values are used as they are. */
  floatPixelData?: { element: Element; bytesPerValue: 4 | 8 };
  rescale: { slope: number; intercept: number; type?: string };
  modalityLut?: Lut;
  voiPresets: VoiPreset[];
  palette?: { red: Lut; green: Lut; blue: Lut };
  meta: DicomMeta;
}

function str(dataSet: DataSet, tag: string): string | undefined {
  const s = dataSet.string(tag);
  const cleaned = s?.replace(/\0/g, '').trim();
  return cleaned ? cleaned : undefined;
}

function numberList(dataSet: DataSet, tag: string): number[] {
  const raw = dataSet.string(tag);
  if (!raw) return [];
  return raw
    .split('\\')
    .map((v) => Number.parseFloat(v))
    .filter((v) => Number.isFinite(v));
}

function textList(dataSet: DataSet, tag: string): string[] {
  const raw = dataSet.string(tag);
  return raw ? raw.split('\\').map((s) => s.replace(/\0/g, '').trim()) : [];
}

/** Reads a LUT (descriptor + data) from an item or the top-level data set. */
export function readLut(
  dataSet: DataSet,
  descriptorTag: string,
  dataTag: string,
  signedFirstMapped: boolean,
  segmentedTag?: string,
): Lut | undefined {
  const descriptor = dataSet.elements[descriptorTag];
  if (!descriptor || descriptor.length < 6) return undefined;
  const rawCount = dataSet.uint16(descriptorTag, 0) ?? 0;
  const count = rawCount === 0 ? 65536 : rawCount;
  const firstMapped = (signedFirstMapped ? dataSet.int16(descriptorTag, 1) : dataSet.uint16(descriptorTag, 1)) ?? 0;
  let bitsPerEntry = dataSet.uint16(descriptorTag, 2) ?? 16;
  const segmented = segmentedTag ? dataSet.elements[segmentedTag] : undefined;
  const dataElement = dataSet.elements[dataTag] ?? segmented;
  if (!dataElement || dataElement.length <= 0) return undefined;
  const end = dataElement.dataOffset + dataElement.length;
  if (end > dataSet.byteArray.length) return undefined;
  if (dataElement === segmented) {
    const data = expandSegmentedLut(dataSet, dataElement, count);
    return data ? { count, firstMapped, bitsPerEntry, data } : undefined;
  }
  const data = new Uint16Array(count);
  if (dataElement.length === count && bitsPerEntry === 8) {
    // 8-bit entries packed two per word (little endian byte order in the stream).
    for (let i = 0; i < count; i++) data[i] = dataSet.byteArray[dataElement.dataOffset + i] ?? 0;
  } else {
    const words = Math.min(count, Math.floor(dataElement.length / 2));
    for (let i = 0; i < words; i++) data[i] = dataSet.byteArrayParser.readUint16(dataSet.byteArray, dataElement.dataOffset + 2 * i);
    // Some writers declare 16 bits for 8-bit data; the largest entry tells.
    if (bitsPerEntry === 16) {
      let max = 0;
      for (const v of data) if (v > max) max = v;
      if (max > 0 && max < 256) bitsPerEntry = 8;
    }
  }
  return { count, firstMapped, bitsPerEntry, data };
}

/**
 * Segmented palette LUT (PS3.3 C.7.9.2): discrete (0), linear (1) and indirect (2) segments.
 * Indirect segments re-run earlier segments; a depth limit keeps crafted loops finite.
 */
function expandSegmentedLut(dataSet: DataSet, element: Element, count: number): Uint16Array | undefined {
  const words: number[] = [];
  for (let i = 0; i + 1 < element.length; i += 2) words.push(dataSet.byteArrayParser.readUint16(dataSet.byteArray, element.dataOffset + i));
  const out = new Uint16Array(count);
  let written = 0;
  let previous = 0;
  const emit = (v: number) => {
    if (written < count) out[written] = v;
    written++;
    previous = v;
  };
  const run = (start: number, segmentLimit: number, depth: number): boolean => {
    let pos = start;
    for (let seg = 0; seg < segmentLimit && pos < words.length && written < count; seg++) {
      const opcode = words[pos]!;
      const length = words[pos + 1] ?? 0;
      if (opcode === 0) {
        for (let i = 0; i < length; i++) emit(words[pos + 2 + i] ?? 0);
        pos += 2 + length;
      } else if (opcode === 1) {
        const from = previous;
        const to = words[pos + 2] ?? 0;
        for (let i = 1; i <= length; i++) emit(Math.round(from + ((to - from) * i) / length));
        pos += 3;
      } else if (opcode === 2) {
        if (depth > 4) return false;
        const offset = (words[pos + 2] ?? 0) | ((words[pos + 3] ?? 0) << 16);
        if (!run(offset, length, depth + 1)) return false;
        pos += 4;
      } else {
        return false;
      }
    }
    return true;
  };
  if (!run(0, Number.POSITIVE_INFINITY, 0) || written === 0) return undefined;
  for (let i = written; i < count; i++) out[i] = previous; // short tables hold their last value
  return out;
}

function readVoiPresets(dataSet: DataSet, signed: boolean): VoiPreset[] {
  const presets: VoiPreset[] = [];
  const centers = numberList(dataSet, 'x00281050');
  const widths = numberList(dataSet, 'x00281051');
  const explanations = textList(dataSet, 'x00281055');
  const fnText = str(dataSet, 'x00281056')?.toUpperCase();
  const fn: VoiFunction = fnText === 'LINEAR_EXACT' || fnText === 'SIGMOID' ? fnText : 'LINEAR';
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    const center = centers[i]!;
    const width = widths[i]!;
    if (width <= 0 && !(fn === 'LINEAR_EXACT' && width > 0)) continue;
    const explanation = explanations[i];
    presets.push({ kind: 'window', center, width, fn, ...(explanation ? { explanation } : {}) });
  }
  for (const item of dataSet.elements['x00283010']?.items ?? []) {
    if (!item.dataSet) continue;
    const lut = readLut(item.dataSet, 'x00283002', 'x00283006', signed);
    if (!lut) continue;
    const explanation = str(item.dataSet, 'x00283003');
    const preset: LutPreset = { kind: 'lut', firstMapped: lut.firstMapped, bitsPerEntry: lut.bitsPerEntry, data: lut.data };
    presets.push(explanation ? { ...preset, explanation } : preset);
  }
  return presets;
}

type TextMetaKey = { [K in keyof DicomMeta]-?: DicomMeta[K] extends string | undefined ? K : never }[keyof DicomMeta];

function readMeta(dataSet: DataSet, frames: number): DicomMeta {
  const meta: DicomMeta = { numberOfFrames: frames };
  const set = (key: TextMetaKey, tag: string) => {
    const v = str(dataSet, tag);
    if (v) meta[key] = v;
  };
  set('modality', 'x00080060');
  set('bodyPartExamined', 'x00180015');
  set('studyInstanceUid', 'x0020000d');
  set('seriesInstanceUid', 'x0020000e');
  set('sopInstanceUid', 'x00080018');
  set('sopClassUid', 'x00080016');
  set('manufacturer', 'x00080070');
  set('studyDescription', 'x00081030');
  set('seriesDescription', 'x0008103e');
  set('burnedInAnnotation', 'x00280301');
  const studyDate = dicomDate(str(dataSet, 'x00080020'));
  if (studyDate) meta.studyDate = studyDate;
  const seriesNumber = integer(str(dataSet, 'x00200011'));
  if (seriesNumber !== undefined) meta.seriesNumber = seriesNumber;
  const instanceNumber = integer(str(dataSet, 'x00200013'));
  if (instanceNumber !== undefined) meta.instanceNumber = instanceNumber;
  const sliceLocation = numberList(dataSet, 'x00201041')[0];
  const positionZ = numberList(dataSet, 'x00200032')[2];
  const slicePosition = sliceLocation ?? positionZ;
  if (slicePosition !== undefined) meta.slicePosition = slicePosition;
  const patientId = str(dataSet, 'x00100020');
  if (patientId) {
    const issuer = str(dataSet, 'x00100021') ?? '';
    meta.patientDigest = createHash('sha256').update(`simila-patient\u0000${issuer}\u0000${patientId}`).digest('hex');
  }
  return meta;
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d{1,9}$/.test(text)) return undefined;
  return Number.parseInt(text, 10);
}

/** A DA value (YYYYMMDD, or the old YYYY.MM.DD) as YYYY-MM-DD; anything else is dropped. */
export function dicomDate(text: string | undefined): string | undefined {
  const m = text ? /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(text) : null;
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1850 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

export function readPixelHeader(dataSet: DataSet): PixelHeader {
  const rows = dataSet.uint16('x00280010') ?? 0;
  const columns = dataSet.uint16('x00280011') ?? 0;
  const framesText = dataSet.string('x00280008');
  const framesParsed = framesText ? Number.parseInt(framesText, 10) : 1;
  const frames = Number.isFinite(framesParsed) && framesParsed > 0 ? framesParsed : 1;
  const samplesPerPixel = dataSet.uint16('x00280002') ?? 1;
  const photometric = (str(dataSet, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')).toUpperCase();
  const bitsAllocated = dataSet.uint16('x00280100') ?? 0;
  const bitsStored = dataSet.uint16('x00280101') ?? bitsAllocated;
  const highBit = dataSet.uint16('x00280102') ?? bitsStored - 1;
  const pixelRepresentation = dataSet.uint16('x00280103') === 1 ? 1 : 0;
  const planarConfiguration = dataSet.uint16('x00280006') === 1 ? 1 : 0;
  const slope = dataSet.floatString('x00281053');
  const intercept = dataSet.floatString('x00281052');
  const rescaleType = str(dataSet, 'x00281054');
  const rescale = {
    slope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
    ...(rescaleType ? { type: rescaleType } : {}),
  };
  const signed = pixelRepresentation === 1;
  const modalityItem = dataSet.elements['x00283000']?.items?.[0]?.dataSet;
  const modalityLut = modalityItem ? readLut(modalityItem, 'x00283002', 'x00283006', signed) : undefined;

  let palette: PixelHeader['palette'];
  if (photometric === 'PALETTE COLOR') {
    const red = readLut(dataSet, 'x00281101', 'x00281201', signed, 'x00281221');
    const green = readLut(dataSet, 'x00281102', 'x00281202', signed, 'x00281222');
    const blue = readLut(dataSet, 'x00281103', 'x00281203', signed, 'x00281223');
    if (red && green && blue) palette = { red, green, blue };
  }

  const floatElement = dataSet.elements['x7fe00008'];
  const doubleElement = dataSet.elements['x7fe00009'];
  const header: PixelHeader = {
    rows,
    columns,
    frames,
    samplesPerPixel,
    photometric,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    planarConfiguration,
    rescale,
    voiPresets: readVoiPresets(dataSet, signed),
    meta: readMeta(dataSet, frames),
  };
  const pixelData = dataSet.elements['x7fe00010'];
  if (pixelData) header.pixelData = pixelData;
  if (floatElement) header.floatPixelData = { element: floatElement, bytesPerValue: 4 };
  else if (doubleElement) header.floatPixelData = { element: doubleElement, bytesPerValue: 8 };
  if (modalityLut) header.modalityLut = modalityLut;
  if (palette) header.palette = palette;
  return header;
}
