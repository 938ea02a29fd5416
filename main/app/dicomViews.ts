/**
 * What the DICOM viewer and (later) the model read from a catalogued DICOM image: header facts from
 * the catalogue (no decoding), a frame rendered with a given window as PNG, and the full-range
 * modality values of a frame. Files are found through the catalogue by id, never by a path from the
 * renderer. Decoded files and frames are cached a little, so window/level drags re-render without
 * decoding again.
 */
import { promises as fs } from 'node:fs';
import type { DicomInfo, DicomWindow } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { ImageMeta } from '../catalogue/repositories/images';
import { displayToSharp, middleFrame } from '../ingest/decoders/dicomDecoder';
import { DEFAULT_LIMITS } from '../ingest/decoders/types';
import { decodeDicom, renderFrame, type DicomFrame, type DicomImage, type WindowPreset } from '../ingest/dicom';
import { defaultVoi } from '../ingest/dicom/render';
import { AppError } from './errors';

export interface RenderedFrame {
  frame: number;
  width: number;
  height: number;
  png: string;
  window: DicomWindow | null;
  valueRange: { min: number; max: number } | null;
}

export interface ModalityFrame {
  width: number;
  height: number;
  /** Modality values (e.g. HU), full range, row-major. */
  data: Float32Array;
  min: number;
  max: number;
}

export interface DicomViews {
  info(id: number): DicomInfo;
  render(id: number, frame: number, window?: DicomWindow, invert?: boolean): Promise<RenderedFrame>;
  /** Full-range modality values of one monochrome frame (the model's input); the middle frame by default. */
  modalityFrame(id: number, frame?: number): Promise<ModalityFrame>;
}

const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function parsePresets(text: unknown): DicomInfo['presets'] {
  try {
    const value: unknown = JSON.parse(str(text) || '[]');
    if (!Array.isArray(value)) return [];
    return value.flatMap((p: { center?: unknown; width?: unknown; fn?: unknown; explanation?: unknown }) => {
      const fn = p.fn === 'LINEAR_EXACT' || p.fn === 'SIGMOID' ? p.fn : 'LINEAR';
      const width = num(p.width);
      return width > 0 ? [{ center: num(p.center), width, fn, explanation: typeof p.explanation === 'string' ? p.explanation : null }] : [];
    });
  } catch {
    return [];
  }
}

const OVERLAY_TAGS: Record<string, string> = {
  modality: 'Modality',
  body_part: 'Body part',
  manufacturer: 'Manufacturer',
  study_uid: 'Study UID',
  series_uid: 'Series UID',
  instance_uid: 'Instance UID',
  sop_class_uid: 'SOP class UID',
  transfer_syntax_name: 'Transfer syntax',
  photometric: 'Photometric',
  bits_stored: 'Bits stored',
  frames: 'Frames',
};

export function dicomInfoFromMeta(id: number, width: number, height: number, meta: ImageMeta): DicomInfo {
  const tags: Record<string, string | number> = {};
  for (const [key, label] of Object.entries(OVERLAY_TAGS)) {
    const v = meta[key];
    if (v !== null && v !== undefined && v !== '') tags[label] = v;
  }
  const monochrome = num(meta.monochrome) === 1;
  return {
    id,
    frames: Math.max(1, num(meta.frames, 1)),
    rows: height,
    columns: width,
    monochrome,
    invert: num(meta.invert) === 1,
    photometric: str(meta.photometric),
    transferSyntaxUid: str(meta.transfer_syntax),
    transferSyntaxName: str(meta.transfer_syntax_name),
    bitsAllocated: num(meta.bits_allocated),
    bitsStored: num(meta.bits_stored),
    rescaleSlope: num(meta.rescale_slope, 1),
    rescaleIntercept: num(meta.rescale_intercept),
    valueRange: monochrome && typeof meta.value_min === 'number' && typeof meta.value_max === 'number' ? { min: meta.value_min, max: meta.value_max } : null,
    presets: parsePresets(meta.voi_presets),
    hasVoiLut: num(meta.has_voi_lut) === 1,
    tags,
  };
}

/** A tiny least-recently-used map. */
function lru<V>(capacity: number) {
  const map = new Map<string, V>();
  return {
    get(key: string): V | undefined {
      const v = map.get(key);
      if (v !== undefined) {
        map.delete(key);
        map.set(key, v);
      }
      return v;
    },
    set(key: string, value: V) {
      map.delete(key);
      map.set(key, value);
      while (map.size > capacity) map.delete(map.keys().next().value!);
    },
    delete(key: string) {
      map.delete(key);
    },
  };
}

export function createDicomViews(catalogue: Catalogue): DicomViews {
  const images = lru<Promise<DicomImage>>(4);
  const frames = lru<Promise<DicomFrame>>(16);

  const dicomRecord = (id: number) => {
    const image = catalogue.images.get(id);
    if (!image || image.format !== 'dicom') throw new AppError('not_found', `There is no DICOM image ${id} in the library.`);
    return image;
  };

  /** Decodes (once) the file behind an image id: the first catalogued path that still has its size. */
  const openImage = (id: number, hash: string): Promise<DicomImage> => {
    let pending = images.get(hash);
    if (!pending) {
      pending = (async () => {
        for (const p of catalogue.paths.listForImage(id)) {
          let bytes: Buffer;
          try {
            bytes = await fs.readFile(p.path);
          } catch {
            continue;
          }
          if (bytes.length !== p.size) continue;
          const decoded = await decodeDicom(bytes, { maxPixels: DEFAULT_LIMITS.maxPixels });
          if (!decoded.ok) throw new AppError('internal', decoded.message);
          return decoded.image;
        }
        throw new AppError('not_found', `No file of DICOM image ${id} is still on disk unchanged.`);
      })();
      // A failed open is not remembered: the file may come back.
      pending.catch(() => images.delete(hash));
      images.set(hash, pending);
    }
    return pending;
  };

  const openFrame = async (id: number, frameIndex: number) => {
    const record = dicomRecord(id);
    const image = await openImage(id, record.hash);
    if (frameIndex >= image.frames) throw new AppError('bad_request', `Image ${id} has ${image.frames} frame(s); frame ${frameIndex} does not exist.`);
    const key = `${record.hash}:${frameIndex}`;
    let pending = frames.get(key);
    if (!pending) {
      pending = image.frame(frameIndex).then((r) => {
        if (!r.ok) throw new AppError('internal', r.message);
        return r.frame;
      });
      pending.catch(() => frames.delete(key));
      frames.set(key, pending);
    }
    return { image, frame: await pending };
  };

  return {
    info(id) {
      const record = dicomRecord(id);
      return dicomInfoFromMeta(id, record.width, record.height, record.meta);
    },
    async render(id, frameIndex, window, invert = false) {
      const { image, frame } = await openFrame(id, frameIndex);
      const voi: WindowPreset | undefined = window && { kind: 'window', center: window.center, width: window.width, fn: window.fn };
      // No window asked for: main's default (header VOI where it suits the data, else a CT default, else
      // an automatic body window) is chosen once here, rendered, and reported so drags start from it.
      const applied = frame.kind === 'mono' ? (voi ?? defaultVoi(image, frame).voi) : null;
      const display = renderFrame({ ...image, invert: image.invert !== invert }, frame, applied ?? undefined);
      const png = await displayToSharp(display).png({ compressionLevel: 2 }).toBuffer();
      return {
        frame: frameIndex,
        width: display.width,
        height: display.height,
        png: `data:image/png;base64,${png.toString('base64')}`,
        window: applied && applied.kind === 'window' ? { center: applied.center, width: applied.width, fn: applied.fn } : null,
        valueRange: frame.kind === 'mono' ? { min: frame.min, max: frame.max } : null,
      };
    },
    async modalityFrame(id, frameIndex) {
      const record = dicomRecord(id);
      const index = frameIndex ?? middleFrame(Math.max(1, num(record.meta.frames, 1)));
      const { image, frame } = await openFrame(id, index);
      if (frame.kind !== 'mono') throw new AppError('unsupported', `Image ${id} is a colour DICOM image; it has no modality values.`);
      return { width: image.columns, height: image.rows, data: frame.data, min: frame.min, max: frame.max };
    },
  };
}
