// Recognising DICOM by content: the Part-10 'DICM' marker, or a bare data set (no preamble/meta)
// whose first element is a plausible group 0002 or 0008 element in any encoding.
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE } from './transferSyntax';

const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

export function hasPart10Prefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

function vrAt(bytes: Uint8Array, offset: number): string | undefined {
  const a = bytes[offset];
  const b = bytes[offset + 1];
  if (a === undefined || b === undefined) return undefined;
  const vr = String.fromCharCode(a, b);
  return VRS.has(vr) ? vr : undefined;
}

/** Encoding of a bare data set starting at `offset`, guessed from its first element; undefined if implausible. */
export function detectBareSyntax(bytes: Uint8Array, offset = 0, anyGroup = false): string | undefined {
  if (bytes.length < offset + 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.length - offset);
  const groupLe = view.getUint16(0, true);
  const groupBe = view.getUint16(0, false);
  // After a file meta any group may follow; a bare file must start like a real data set.
  const plausibleGroup = (g: number) => (anyGroup ? g !== 0 && g !== 0xfffe : g === 0x0002 || g === 0x0008);
  if (plausibleGroup(groupLe)) {
    if (vrAt(bytes, offset + 4)) return EXPLICIT_LE;
    // Implicit VR: a 32-bit length that fits inside the file.
    const length = view.getUint32(4, true);
    if (length === 0xffffffff || length <= bytes.length - offset - 8) return IMPLICIT_LE;
    return undefined;
  }
  if (plausibleGroup(groupBe) && groupBe < 0x0100 && vrAt(bytes, offset + 4)) return EXPLICIT_BE;
  return undefined;
}

/** True when the bytes look like DICOM: Part-10, or a bare data set with a plausible first element. */
export function sniffDicom(bytes: Uint8Array): boolean {
  return hasPart10Prefix(bytes) || detectBareSyntax(bytes) !== undefined;
}
