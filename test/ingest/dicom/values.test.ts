// Known values (Hounsfield units, LUTs, colour), the display rendition, sniffing and bad input.
import { describe, expect, it } from 'vitest';
import { decodeDicom, renderDisplay, renderFrame, sniffDicom, windowValue, type DicomImage } from '../../../main/ingest/dicom';
import { corpusPresent, decodeFrame, openImage, readCorpusFile } from './corpusHelpers';

/** Finds an explicit-VR-LE element by its raw tag bytes (independent of the decoder under test). */
function findElement(bytes: Uint8Array, group: number, element: number, vr: string): { offset: number; length: number } {
  const tag = [group & 0xff, group >> 8, element & 0xff, element >> 8, vr.charCodeAt(0), vr.charCodeAt(1)];
  for (let i = bytes.length - 8; i >= 132; i--) {
    if (tag.every((b, k) => bytes[i + k] === b)) {
      const long = vr === 'OW' || vr === 'OB';
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      return long ? { offset: i + 12, length: view.getUint32(i + 8, true) } : { offset: i + 8, length: view.getUint16(i + 6, true) };
    }
  }
  throw new Error(`element ${group.toString(16)},${element.toString(16)} not found`);
}

function dsValue(bytes: Uint8Array, group: number, element: number): number {
  const { offset, length } = findElement(bytes, group, element, 'DS');
  return Number.parseFloat(Buffer.from(bytes.subarray(offset, offset + length)).toString('latin1'));
}

describe.skipIf(!corpusPresent)('known values', () => {
  it('CT_small.dcm comes out in Hounsfield units (stored int16 x slope + intercept)', async () => {
    const bytes = readCorpusFile('pydicom_test_files/CT_small.dcm');
    const slope = dsValue(bytes, 0x0028, 0x1053);
    const intercept = dsValue(bytes, 0x0028, 0x1052);
    const pixels = findElement(bytes, 0x7fe0, 0x0010, 'OW');
    const stored = new Int16Array(new Uint8Array(bytes.subarray(pixels.offset, pixels.offset + pixels.length)).buffer); // copy: a Buffer's .buffer is a pool
    expect(stored.length).toBe(128 * 128);
    const expected = Array.from(stored, (v) => v * slope + intercept);

    const image = await openImage('pydicom_test_files/CT_small.dcm');
    expect(image.rescale).toMatchObject({ slope, intercept });
    const frame = await decodeFrame(image, 0);
    if (frame.kind !== 'mono') throw new Error('CT must be monochrome');
    expect(Array.from(frame.data)).toEqual(expected);
    expect(frame.min).toBe(Math.min(...expected));
    expect(frame.max).toBe(Math.max(...expected));
    // Pixel (row 64, column 64) lies inside the body: soft tissue, not air.
    expect(frame.data[64 * 128 + 64]).toBe(expected[64 * 128 + 64]);
    expect(frame.min).toBeLessThan(0); // the intercept moved air below zero
  });

  it('keeps the header window presets and meta, and no patient data', async () => {
    const image = await openImage('pydicom_test_files/CT_small.dcm');
    expect(image.meta).toMatchObject({ modality: 'CT', numberOfFrames: 1 });
    expect(image.meta.studyInstanceUid).toMatch(/^[0-9.]+$/);
    const text = JSON.stringify(image);
    const patientName = Buffer.from(readCorpusFile('pydicom_test_files/CT_small.dcm')).toString('latin1').match(/CompressedSamples\^CT1/)?.[0];
    expect(patientName).toBeDefined();
    expect(text).not.toContain('CompressedSamples');
    expect(Object.keys(image.meta)).not.toContain('patientName');
  });

  it('applies the Modality LUT sequence (mlut_18.dcm)', async () => {
    const image = await openImage('pydicom_data/mlut_18.dcm');
    const frame = await decodeFrame(image, 0);
    if (frame.kind !== 'mono') throw new Error('monochrome expected');
    // The LUT output is bounded by its entry size, unlike the raw stored values.
    expect(frame.max).toBeLessThan(2 ** 16);
    expect(frame.max).toBeGreaterThan(frame.min);
  });

  it('reads a VOI LUT sequence preset (vlut_04.dcm) and renders through it', async () => {
    const image = await openImage('pydicom_data/vlut_04.dcm');
    const lut = image.voiPresets.find((p) => p.kind === 'lut');
    expect(lut).toBeDefined();
    const display = await renderDisplay(image, 0);
    if (!display.ok) throw new Error(display.message);
    expect(display.channels).toBe(1);
    expect(new Set(display.data).size).toBeGreaterThan(16);
  });

  it('inverts MONOCHROME1 in the display rendition only', async () => {
    const image = await openImage('pydicom_data/RG3_J2KR.dcm');
    expect(image.photometric).toBe('MONOCHROME1');
    expect(image.invert).toBe(true);
    const frame = await decodeFrame(image, 0);
    if (frame.kind !== 'mono') throw new Error('monochrome expected');
    const window = { kind: 'window' as const, center: (frame.min + frame.max) / 2, width: frame.max - frame.min, fn: 'LINEAR_EXACT' as const };
    const display = renderFrame(image, frame, window);
    const iMin = frame.data.indexOf(frame.min);
    const iMax = frame.data.indexOf(frame.max);
    expect(display.data[iMin]).toBe(255); // lowest value is brightest
    expect(display.data[iMax]).toBe(0);
    const plain = renderFrame({ ...image, invert: false }, frame, window);
    expect(plain.data[iMin]).toBe(0);
  });

  it('renders a palette-colour file as RGB through its LUTs (OBXXXX1A, 16-bit segmented ALOKA)', async () => {
    for (const file of ['pydicom_data/OBXXXX1A.dcm', 'pydicom_data/gdcm-US-ALOKA-16.dcm']) {
      const image = await openImage(file);
      expect(image.photometric).toBe('PALETTE COLOR');
      const display = await renderDisplay(image, 0);
      if (!display.ok) throw new Error(display.message);
      expect(display.channels).toBe(3);
      expect(display.data.length).toBe(image.rows * image.columns * 3);
      let coloured = 0;
      for (let i = 0; i < display.data.length; i += 3) if (display.data[i] !== display.data[i + 1] || display.data[i + 1] !== display.data[i + 2]) coloured++;
      expect(coloured, file).toBeGreaterThan(100);
    }
  });

  it('converts YBR_FULL and YBR_FULL_422 to RGB close to the RGB original', async () => {
    const rgb = await decodeFrame(await openImage('pydicom_data/SC_rgb.dcm'), 0);
    for (const file of ['pydicom_data/SC_ybr_full_uncompressed.dcm', 'pydicom_test_files/SC_ybr_full_422_uncompressed.dcm', 'pydicom_test_files/SC_rgb_dcmtk_+eb+cy+n1.dcm', 'pydicom_test_files/SC_rgb_dcmtk_+eb+cy+s2.dcm']) {
      const ybr = await decodeFrame(await openImage(file), 0);
      let total = 0;
      for (let i = 0; i < rgb.data.length; i++) total += Math.abs(rgb.data[i]! - ybr.data[i]!);
      expect(total / rgb.data.length, file).toBeLessThan(3);
    }
  });

  it('decodes HTJ2K: the lossless and lossy encodings of one image agree closely', async () => {
    // The corpus has no uncompressed twin for these two, so compare them with each other.
    const lossless = await decodeFrame(await openImage('pydicom_data/HTJ2KLossless_08_RGB.dcm'), 0);
    const lossy = await decodeFrame(await openImage('pydicom_data/HTJ2K_08_RGB.dcm'), 0);
    expect(lossless.data.length).toBe(480 * 640 * 3);
    let total = 0;
    for (let i = 0; i < lossless.data.length; i++) total += Math.abs(lossless.data[i]! - lossy.data[i]!);
    expect(total / lossless.data.length).toBeLessThan(2);
    expect(new Set(lossless.data).size).toBeGreaterThan(100); // a real image, not a flat buffer
  });

  it('decodes multi-frame files lazily, one frame at a time', async () => {
    const image = await openImage('pydicom_data/emri_small.dcm');
    expect(image.frames).toBe(10);
    const first = await decodeFrame(image, 0);
    const last = await decodeFrame(image, 9);
    expect(first.data).not.toEqual(last.data);
    const missing = await image.frame(10);
    expect(missing.ok).toBe(false);
  });
});

describe('windowing', () => {
  it('follows PS3.3 LINEAR, LINEAR_EXACT and SIGMOID', () => {
    const linear = { kind: 'window' as const, center: 40, width: 400, fn: 'LINEAR' as const };
    expect(windowValue(-200, linear)).toBe(0);
    expect(windowValue(300, linear)).toBe(255);
    expect(windowValue(39.5, linear)).toBeCloseTo(127.5, 5);
    const exact = { ...linear, fn: 'LINEAR_EXACT' as const };
    expect(windowValue(40, exact)).toBeCloseTo(127.5, 5);
    expect(windowValue(-160, exact)).toBe(0);
    const sigmoid = { ...linear, fn: 'SIGMOID' as const };
    expect(windowValue(40, sigmoid)).toBeCloseTo(127.5, 5);
    expect(windowValue(1000, sigmoid)).toBeGreaterThan(254);
  });
});

/** A minimal Part-10 file: explicit VR little endian, 16-bit monochrome. */
function syntheticDicom(rows: number, columns: number, pixelBytes: number, photometric = 'MONOCHROME2'): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, v >> 8);
  const u32 = (v: number) => parts.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
  const str = (tagGroup: number, tagElement: number, vr: string, text: string) => {
    const padded = text.length % 2 ? `${text}${vr === 'UI' ? '\0' : ' '}` : text;
    u16(tagGroup);
    u16(tagElement);
    parts.push(vr.charCodeAt(0), vr.charCodeAt(1));
    u16(padded.length);
    for (const c of padded) parts.push(c.charCodeAt(0));
  };
  const us = (tagElement: number, v: number) => {
    u16(0x0028);
    u16(tagElement);
    parts.push(0x55, 0x53);
    u16(2);
    u16(v);
  };
  for (let i = 0; i < 128; i++) parts.push(0);
  parts.push(0x44, 0x49, 0x43, 0x4d);
  str(0x0002, 0x0010, 'UI', '1.2.840.10008.1.2.1');
  str(0x0008, 0x0060, 'CS', 'OT');
  str(0x0010, 0x0010, 'PN', 'Secret^Patient');
  us(0x0002, 1);
  str(0x0028, 0x0004, 'CS', photometric);
  us(0x0010, rows);
  us(0x0011, columns);
  us(0x0100, 16);
  us(0x0101, 16);
  us(0x0102, 15);
  us(0x0103, 0);
  u16(0x7fe0);
  u16(0x0010);
  parts.push(0x4f, 0x57, 0, 0);
  u32(rows * columns * 2);
  for (let i = 0; i < pixelBytes; i++) parts.push(i & 0xff);
  return new Uint8Array(parts);
}

describe('bad input and sniffing', () => {
  it('decodes a synthetic file and never exposes the patient name', async () => {
    const result = await decodeDicom(syntheticDicom(4, 4, 32));
    if (!result.ok) throw new Error(result.message);
    expect(JSON.stringify(result.image)).not.toContain('Secret');
    const frame = await decodeFrame(result.image, 0);
    expect(frame.data[1]).toBe(0x0302); // bytes 2,3 little endian
  });

  it('rejects empty, non-DICOM, truncated and oversized input with reason codes', async () => {
    expect(await decodeDicom(new Uint8Array())).toMatchObject({ ok: false, code: 'dicom_not_dicom' });
    expect(await decodeDicom(new TextEncoder().encode('just some text, definitely not an image'.repeat(10)))).toMatchObject({ ok: false, code: 'dicom_not_dicom' });
    expect(await decodeDicom(syntheticDicom(64, 64, 100))).toMatchObject({ ok: false, code: 'dicom_truncated' });
    expect(await decodeDicom(syntheticDicom(4, 4, 32), { maxPixels: 15 })).toMatchObject({ ok: false, code: 'dicom_too_large' });
    const huge = syntheticDicom(20000, 20000, 0); // declares 400 megapixels, holds none
    const result = await decodeDicom(huge);
    expect(result).toMatchObject({ ok: false, code: 'dicom_too_large' });
    if (!result.ok) expect(result.message).toMatch(/limit/);
  });

  it('cut-off corpus files fail as truncated, never throw', async () => {
    if (!corpusPresent) return;
    for (const file of ['pydicom_data/MR2_J2KR.dcm', 'pydicom_data/emri_small_RLE.dcm', 'pydicom_data/JLSL_16_15_1_1F.dcm', 'pydicom_test_files/CT_small.dcm']) {
      const bytes = readCorpusFile(file);
      const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
      const result = await decodeDicom(cut);
      let code: string | undefined = result.ok ? undefined : result.code;
      if (result.ok) {
        for (let i = 0; i < result.image.frames && code === undefined; i++) {
          const frame = await result.image.frame(i);
          if (!frame.ok) code = frame.code;
        }
      }
      expect(['dicom_truncated', 'dicom_decode_error'], file).toContain(code);
    }
  });

  it('sniffs Part-10 files and bare data sets, not other formats', () => {
    expect(sniffDicom(syntheticDicom(2, 2, 8))).toBe(true);
    expect(sniffDicom(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).toBe(false);
    expect(sniffDicom(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]))).toBe(false);
    expect(sniffDicom(new Uint8Array())).toBe(false);
    if (!corpusPresent) return;
    expect(sniffDicom(readCorpusFile('pydicom_data/OT-PAL-8-face.dcm'))).toBe(true); // implicit VR, no preamble
    expect(sniffDicom(readCorpusFile('pydicom_test_files/ExplVR_BigEndNoMeta.dcm'))).toBe(true);
    expect(sniffDicom(readCorpusFile('pydicom_test_files/ExplVR_LitEndNoMeta.dcm'))).toBe(true);
    expect(sniffDicom(readCorpusFile('pydicom_test_files/zipMR.gz'))).toBe(false);
  });
});

export type { DicomImage };
