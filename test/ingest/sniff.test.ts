import { describe, expect, it } from 'vitest';
import { sniff } from '../../main/ingest/sniff';
import { makeImage, type GeneratedFormat } from './support/fixtures';

describe('sniff', () => {
  it.each<GeneratedFormat>(['jpeg', 'png', 'webp', 'tiff', 'gif'])('recognises %s by its first bytes', async (format) => {
    const bytes = await makeImage(format, 8, 8);
    expect(sniff(bytes.subarray(0, 512))?.format).toBe(format);
  });

  it('recognises DICOM with and without the preamble', () => {
    const part10 = Buffer.alloc(200);
    part10.write('DICM', 128, 'ascii');
    expect(sniff(part10)).toEqual({ format: 'dicom', mime: 'application/dicom' });
    // (0008,0005) CS explicit VR little endian, no preamble
    const bare = Buffer.from([0x08, 0x00, 0x05, 0x00, 0x43, 0x53, 0x0a, 0x00]);
    expect(sniff(bare)?.format).toBe('dicom');
  });

  it('gives null for text, empty input and near-misses', () => {
    expect(sniff(Buffer.from('just some text that is named photo.jpg'))).toBeNull();
    expect(sniff(new Uint8Array(0))).toBeNull();
    expect(sniff(Buffer.from([0xff, 0xd8]))).toBeNull(); // too short to be a JPEG start
    expect(sniff(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull(); // RIFF, but audio
  });
});
