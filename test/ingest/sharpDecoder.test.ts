import { describe, expect, it } from 'vitest';
import { classifySharpError, createSharpDecoder, lacksEndMarker } from '../../main/ingest/decoders/sharpDecoder';
import { DEFAULT_LIMITS } from '../../main/ingest/decoders/types';
import { sniff } from '../../main/ingest/sniff';
import { makeImage } from './support/fixtures';

describe('sharp decoder', () => {
  it('names truncated files as truncated every time, even with many decodes at once', async () => {
    const decoder = createSharpDecoder();
    const whole = await makeImage('jpeg', 400, 400, 7);
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    const good = await makeImage('png', 300, 300, 3);
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const bytes = i % 2 ? cut : good;
        return decoder.decode({ path: 'x', bytes, sniffed: sniff(bytes)! }, DEFAULT_LIMITS);
      }),
    );
    const codes = new Set(results.filter((_, i) => i % 2).map((r) => (r.ok ? 'ok' : r.code)));
    expect([...codes]).toEqual(['truncated']);
    expect(results.filter((_, i) => i % 2 === 0).every((r) => r.ok)).toBe(true);
  });

  it('classifies libvips messages and end markers', async () => {
    expect(classifySharpError('Input image exceeds pixel limit')).toBe('too_large');
    expect(classifySharpError('Input buffer contains unsupported image format')).toBe('unsupported_format');
    expect(classifySharpError('VipsJpeg: premature end of JPEG image')).toBe('truncated');
    expect(classifySharpError('Unknown error')).toBe('decode_error');
    const png = await makeImage('png', 10, 10);
    expect(lacksEndMarker(png, 'png')).toBe(false);
    expect(lacksEndMarker(png.subarray(0, png.length - 20), 'png')).toBe(true);
    const gif = await makeImage('gif', 10, 10);
    expect(lacksEndMarker(gif, 'gif')).toBe(false);
  });
});
