// Encapsulated pixel data: which fragments make up frame i (Basic Offset Table, one fragment per
// frame, or start-of-codestream markers when neither tells).
import { dicomParser, type DataSet, type Element, type Fragment } from './dicomParserModule';

/**
 * Implicit-VR data sets leave undefined-length Pixel Data unsplit; read its items (offset table and
 * fragments) here so compressed frames can be found. Returns false when the items are unreadable.
 */
export function ensureFragments(dataSet: DataSet, element: Element): boolean {
  if (element.encapsulatedPixelData) return true;
  if (!element.hadUndefinedLength) return false;
  try {
    const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, dataSet.byteArray, element.dataOffset);
    dicomParser.findEndOfEncapsulatedElement(stream, element, []);
    return Boolean((element as { encapsulatedPixelData?: boolean }).encapsulatedPixelData); // set by the call above
  } catch {
    return false;
  }
}

export type FrameFragments = { ok: true; fragments: Fragment[][] } | { ok: false; reason: 'truncated' | 'layout'; message: string };

function startsCodestream(byteArray: Uint8Array, fragment: Fragment): boolean {
  const a = byteArray[fragment.position];
  const b = byteArray[fragment.position + 1];
  // JPEG / JPEG-LS SOI (FFD8) or JPEG 2000 SOC (FF4F).
  return a === 0xff && (b === 0xd8 || b === 0x4f);
}

/** Groups the element's fragments by frame. Validates that every fragment lies inside the file. */
export function frameFragments(dataSet: DataSet, element: Element, frames: number): FrameFragments {
  const fragments = element.fragments ?? [];
  const byteArray = dataSet.byteArray;
  for (const f of fragments) {
    if (f.position + f.length > byteArray.length) {
      return { ok: false, reason: 'truncated', message: 'An encapsulated pixel data fragment runs past the end of the file.' };
    }
  }
  const nonEmpty = fragments.filter((f) => f.length > 0);
  if (nonEmpty.length === 0) return { ok: false, reason: 'truncated', message: 'The encapsulated pixel data holds no fragments.' };
  if (frames === 1) return { ok: true, fragments: [nonEmpty] };

  const bot = element.basicOffsetTable ?? [];
  if (bot.length === frames) {
    const groups: Fragment[][] = [];
    for (let i = 0; i < frames; i++) {
      const start = bot[i]!;
      const end = i + 1 < frames ? bot[i + 1]! : Number.POSITIVE_INFINITY;
      groups.push(fragments.filter((f) => f.offset >= start && f.offset < end));
    }
    if (groups.every((g) => g.length > 0)) return { ok: true, fragments: groups };
  }
  if (nonEmpty.length === frames) return { ok: true, fragments: nonEmpty.map((f) => [f]) };

  const groups: Fragment[][] = [];
  for (const f of nonEmpty) {
    if (groups.length === 0 || startsCodestream(byteArray, f)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length >= frames) return { ok: true, fragments: groups.slice(0, frames) };
  return {
    ok: false,
    reason: groups.length < frames && nonEmpty.length < frames ? 'truncated' : 'layout',
    message: `Found ${groups.length} encoded frames in the pixel data, the header declares ${frames}.`,
  };
}

/** Concatenates the fragments of one frame (a view when there is only one). */
export function joinFragments(byteArray: Uint8Array, fragments: Fragment[]): Uint8Array {
  if (fragments.length === 1) {
    const f = fragments[0]!;
    return byteArray.subarray(f.position, f.position + f.length);
  }
  const total = fragments.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of fragments) {
    out.set(byteArray.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return out;
}
