// Image size declared inside a JPEG or JPEG 2000 codestream, read before decoding so a crafted
// stream cannot make a codec allocate far more than the DICOM header promised.

/** Width and height from a JPEG SOFn marker. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  for (let i = 2; i + 8 < bytes.length; ) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1]!;
    if (marker === 0xff || marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
    }
    if (marker === 0xf7) return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! }; // JPEG-LS SOF55
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  return undefined;
}

/** Width and height from a JPEG 2000 SIZ marker (after SOC), searching past a JP2 wrapper. */
function j2kSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const limit = Math.min(bytes.length - 22, 4096);
  for (let i = 0; i < limit; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0x4f && bytes[i + 2] === 0xff && bytes[i + 3] === 0x51) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + i + 4);
      const xsiz = view.getUint32(4);
      const ysiz = view.getUint32(8);
      const xo = view.getUint32(12);
      const yo = view.getUint32(16);
      return { width: Math.max(0, xsiz - xo), height: Math.max(0, ysiz - yo) };
    }
  }
  return undefined;
}

export function codestreamSize(bytes: Uint8Array, family: 'jpeg' | 'j2k'): { width: number; height: number } | undefined {
  return family === 'jpeg' ? jpegSize(bytes) : j2kSize(bytes);
}
