/**
 * A byte-level DICOM data set reader for rewriting: every element keeps its byte range in the source,
 * so whatever is not changed (pixel data above all, native or encapsulated) can be copied verbatim.
 *
 * Handles explicit and implicit VR, little and big endian, defined and undefined lengths, sequences
 * (items of either length form), encapsulated values (fragments up to the sequence delimiter), and UN
 * values holding a sequence (read as implicit VR little endian, PS3.5 6.2.2). In implicit VR a
 * defined-length value is read as a sequence when it parses as a run of items to its exact end.
 * Malformed input raises a DicomFormatError with a sentence; it never reads outside the buffer.
 */

export interface Encoding {
  littleEndian: boolean;
  explicitVr: boolean;
}

export const EXPLICIT_LE: Encoding = { littleEndian: true, explicitVr: true };
export const IMPLICIT_LE: Encoding = { littleEndian: true, explicitVr: false };
export const EXPLICIT_BE: Encoding = { littleEndian: false, explicitVr: true };

export interface DicomItem {
  start: number;
  end: number;
  undefinedLength: boolean;
  elements: DicomElement[];
}

export interface DicomElement {
  /** (group << 16 | element), unsigned. */
  tag: number;
  /** The VR as written (explicit VR), or null (implicit VR). */
  vr: string | null;
  /** Offset of the element's tag. */
  start: number;
  /** Offset of the value. */
  valueStart: number;
  /** Bytes of the value, delimiters excluded. */
  valueLength: number;
  /** Offset just past the element, delimiters included. */
  end: number;
  undefinedLength: boolean;
  /** The items, when the value is a sequence. */
  items?: DicomItem[];
  /** How the items are encoded (differs from the data set for UN). */
  itemEncoding?: Encoding;
  /** An undefined-length value made of fragments (encapsulated pixel data). */
  encapsulated?: boolean;
  /** Top-level encapsulated pixel data that runs past the end of the file (copied as it is). */
  truncated?: boolean;
}

export class DicomFormatError extends Error {
  constructor(
    readonly code: 'dicom_truncated' | 'dicom_malformed',
    message: string,
  ) {
    super(message);
  }
}

export const ITEM = 0xfffee000;
export const ITEM_DELIMITER = 0xfffee00d;
export const SEQUENCE_DELIMITER = 0xfffee0dd;
export const UNDEFINED = 0xffffffff;

export const VRS: ReadonlySet<string> = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);
/** VRs written with a 2-byte reserved field and a 4-byte length in explicit VR. */
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

const MAX_DEPTH = 64;

export class ElementReader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u16(pos: number, le: boolean): number {
    return this.view.getUint16(pos, le);
  }

  u32(pos: number, le: boolean): number {
    return this.view.getUint32(pos, le);
  }

  tagAt(pos: number, le: boolean): number {
    return ((this.u16(pos, le) << 16) | this.u16(pos + 2, le)) >>> 0;
  }

  private need(pos: number, n: number, limit: number, what: string): void {
    if (pos + n > limit) throw new DicomFormatError('dicom_truncated', `The data set ends inside ${what} at byte ${pos}.`);
  }

  /**
   * Reads elements from `pos` up to `limit`; with `untilItemDelimiter`, stops after an item delimiter.
   * Returns the elements and the offset just past what was read.
   */
  readElements(pos: number, limit: number, enc: Encoding, depth = 0, untilItemDelimiter = false): { elements: DicomElement[]; pos: number } {
    if (depth > MAX_DEPTH) throw new DicomFormatError('dicom_malformed', `Sequences are nested more than ${MAX_DEPTH} deep.`);
    const elements: DicomElement[] = [];
    while (pos < limit) {
      if (depth === 0 && limit - pos < 8 && this.bytes.subarray(pos, limit).every((b) => b === 0)) {
        return { elements, pos: limit }; // a few zero bytes of padding after the last element
      }
      this.need(pos, 8, limit, 'an element header');
      const tag = this.tagAt(pos, enc.littleEndian);
      if (tag === ITEM_DELIMITER) {
        if (!untilItemDelimiter) throw new DicomFormatError('dicom_malformed', `A stray item delimiter at byte ${pos}.`);
        return { elements, pos: pos + 8 };
      }
      if (tag === ITEM || tag === SEQUENCE_DELIMITER) {
        throw new DicomFormatError('dicom_malformed', `A stray item or sequence delimiter at byte ${pos}.`);
      }
      const element = this.readElement(pos, limit, enc, depth);
      elements.push(element);
      pos = element.end;
    }
    if (untilItemDelimiter) throw new DicomFormatError('dicom_truncated', 'An item of undefined length has no item delimiter.');
    return { elements, pos };
  }

  readElement(pos: number, limit: number, enc: Encoding, depth = 0): DicomElement {
    const le = enc.littleEndian;
    const tag = this.tagAt(pos, le);
    let vr: string | null = null;
    let length: number;
    let valueStart: number;
    if (enc.explicitVr) {
      vr = String.fromCharCode(this.bytes[pos + 4]!, this.bytes[pos + 5]!);
      if (!VRS.has(vr)) {
        throw new DicomFormatError('dicom_malformed', `Element ${tagText(tag)} at byte ${pos} has no valid VR ("${printable(vr)}").`);
      }
      if (LONG_VRS.has(vr)) {
        this.need(pos, 12, limit, 'an element header');
        length = this.u32(pos + 8, le);
        valueStart = pos + 12;
      } else {
        length = this.u16(pos + 6, le);
        valueStart = pos + 8;
      }
    } else {
      length = this.u32(pos + 4, le);
      valueStart = pos + 8;
    }

    if (length === UNDEFINED) {
      const isSequence = vr === 'SQ' || vr === 'UN' || (vr === null && tag !== 0x7fe00010);
      if (isSequence) {
        const itemEncoding = vr === 'UN' ? IMPLICIT_LE : enc;
        const { items, pos: after, contentEnd } = this.readItems(valueStart, limit, itemEncoding, depth, true);
        return { tag, vr, start: pos, valueStart, valueLength: contentEnd - valueStart, end: after, undefinedLength: true, items, itemEncoding };
      }
      // Encapsulated: a basic offset table item and fragments, then a sequence delimiter.
      let p = valueStart;
      // Pixel data cut short at the end of the file (the importer still shows its first frames): kept
      // byte for byte as the original has it; nothing follows it that could hold identifying data.
      const cutShort = (): DicomElement | undefined =>
        depth === 0 && tag === 0x7fe00010 && limit === this.bytes.length
          ? { tag, vr, start: pos, valueStart, valueLength: limit - valueStart, end: limit, undefinedLength: true, encapsulated: true, truncated: true }
          : undefined;
      for (;;) {
        if (p + 8 > limit) {
          const cut = cutShort();
          if (cut) return cut;
        }
        this.need(p, 8, limit, `the fragments of ${tagText(tag)}`);
        const t = this.tagAt(p, le);
        const len = this.u32(p + 4, le);
        if (t === SEQUENCE_DELIMITER) {
          return { tag, vr, start: pos, valueStart, valueLength: p - valueStart, end: p + 8, undefinedLength: true, encapsulated: true };
        }
        if (t !== ITEM || len === UNDEFINED) {
          throw new DicomFormatError('dicom_malformed', `The encapsulated value of ${tagText(tag)} holds ${tagText(t)} at byte ${p}, not a fragment.`);
        }
        if (p + 8 + len > limit) {
          const cut = cutShort();
          if (cut) return cut;
        }
        this.need(p + 8, len, limit, `a fragment of ${tagText(tag)}`);
        p += 8 + len;
      }
    }

    this.need(valueStart, length, limit, `the value of ${tagText(tag)}`);
    const end = valueStart + length;
    const base: DicomElement = { tag, vr, start: pos, valueStart, valueLength: length, end, undefinedLength: false };
    if (vr === 'SQ') {
      const { items } = this.readItems(valueStart, end, enc, depth, false);
      return { ...base, items, itemEncoding: enc };
    }
    if ((vr === null || vr === 'UN') && length >= 8 && tag !== 0x7fe00010) {
      const itemEncoding = vr === 'UN' ? IMPLICIT_LE : enc;
      if (this.tagAt(valueStart, itemEncoding.littleEndian) === ITEM) {
        try {
          const { items } = this.readItems(valueStart, end, itemEncoding, depth, false);
          return { ...base, items, itemEncoding };
        } catch (e) {
          if (!(e instanceof DicomFormatError)) throw e;
          // Not a sequence after all: an opaque value that happens to start like an item.
        }
      }
    }
    return base;
  }

  private readItems(
    pos: number,
    limit: number,
    enc: Encoding,
    depth: number,
    untilSequenceDelimiter: boolean,
  ): { items: DicomItem[]; pos: number; contentEnd: number } {
    const items: DicomItem[] = [];
    const le = enc.littleEndian;
    for (;;) {
      if (!untilSequenceDelimiter && pos === limit) return { items, pos, contentEnd: pos };
      this.need(pos, 8, limit, 'a sequence');
      const tag = this.tagAt(pos, le);
      const length = this.u32(pos + 4, le);
      if (tag === SEQUENCE_DELIMITER && untilSequenceDelimiter) return { items, pos: pos + 8, contentEnd: pos };
      if (tag !== ITEM) throw new DicomFormatError('dicom_malformed', `A sequence holds ${tagText(tag)} at byte ${pos} where an item belongs.`);
      if (length === UNDEFINED) {
        const { elements, pos: after } = this.readElements(pos + 8, limit, enc, depth + 1, true);
        items.push({ start: pos, end: after, undefinedLength: true, elements });
        pos = after;
      } else {
        this.need(pos + 8, length, limit, 'an item');
        const { elements } = this.readElements(pos + 8, pos + 8 + length, enc, depth + 1, false);
        items.push({ start: pos, end: pos + 8 + length, undefinedLength: false, elements });
        pos += 8 + length;
      }
    }
  }
}

export function tagText(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** The value of a string element, without trailing padding (spaces, NULs). */
export function stringValue(bytes: Uint8Array, el: DicomElement): string {
  if (el.items || el.encapsulated) return '';
  return Buffer.from(bytes.buffer, bytes.byteOffset + el.valueStart, el.valueLength)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
}

/** Writes element headers and values in one encoding. */
export class ElementWriter {
  constructor(readonly enc: Encoding) {}

  private tagBytes(out: Buffer, tag: number, at: number): void {
    if (this.enc.littleEndian) {
      out.writeUInt16LE(tag >>> 16, at);
      out.writeUInt16LE(tag & 0xffff, at + 2);
    } else {
      out.writeUInt16BE(tag >>> 16, at);
      out.writeUInt16BE(tag & 0xffff, at + 2);
    }
  }

  private u32(out: Buffer, value: number, at: number): void {
    if (this.enc.littleEndian) out.writeUInt32LE(value >>> 0, at);
    else out.writeUInt32BE(value >>> 0, at);
  }

  /** An element header; `vr` is required in explicit VR. `length` may be UNDEFINED for SQ/UN. */
  header(tag: number, vr: string | null, length: number): Buffer {
    if (!this.enc.explicitVr) {
      const out = Buffer.alloc(8);
      this.tagBytes(out, tag, 0);
      this.u32(out, length, 4);
      return out;
    }
    const v = vr ?? 'UN';
    if (LONG_VRS.has(v)) {
      const out = Buffer.alloc(12);
      this.tagBytes(out, tag, 0);
      out.write(v, 4, 'latin1');
      this.u32(out, length, 8);
      return out;
    }
    if (length > 0xffff) throw new DicomFormatError('dicom_malformed', `A ${v} value of ${length} bytes does not fit its length field.`);
    const out = Buffer.alloc(8);
    this.tagBytes(out, tag, 0);
    out.write(v, 4, 'latin1');
    if (this.enc.littleEndian) out.writeUInt16LE(length, 6);
    else out.writeUInt16BE(length, 6);
    return out;
  }

  /** An item, item delimiter or sequence delimiter tag with a length. */
  marker(tag: number, length: number): Buffer {
    const out = Buffer.alloc(8);
    this.tagBytes(out, tag, 0);
    this.u32(out, length, 4);
    return out;
  }
}

/** Encodes a string value, padded to even length (UI with NUL, others with a space). */
export function encodeString(text: string, vr: string): Buffer {
  const raw = Buffer.from(text, 'latin1');
  if (raw.length % 2 === 0) return raw;
  return Buffer.concat([raw, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
}
