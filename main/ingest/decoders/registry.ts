/**
 * Decoders by capability. Later formats (DICOM) register here; the first decoder that accepts a
 * sniffed format wins, so a more specific decoder can be registered in front of a general one.
 */
import type { Sniffed } from '../sniff';
import type { Decoder } from './types';

export interface DecoderRegistry {
  register(decoder: Decoder, position?: 'first' | 'last'): void;
  find(sniffed: Sniffed): Decoder | undefined;
  list(): readonly Decoder[];
}

export function createDecoderRegistry(initial: readonly Decoder[] = []): DecoderRegistry {
  const decoders: Decoder[] = [...initial];
  return {
    register(decoder, position = 'last') {
      if (position === 'first') decoders.unshift(decoder);
      else decoders.push(decoder);
    },
    find(sniffed) {
      return decoders.find((d) => d.canDecode(sniffed));
    },
    list: () => decoders,
  };
}
