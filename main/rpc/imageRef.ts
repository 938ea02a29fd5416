/**
 * The renderer names an image rendition by variant and catalogue id only. Both shells (the HTTP
 * route and the Electron protocol) parse those two strings here, so neither can be tricked into
 * anything that looks like a path.
 */
import { ImageVariant } from '../../shared/rpc/contract';

export interface ImageRef {
  variant: ImageVariant;
  id: number;
}

const ID_PATTERN = /^[1-9][0-9]{0,14}$/;

export function parseImageRef(variant: string, idText: string): ImageRef | null {
  const parsedVariant = ImageVariant.safeParse(variant);
  if (!parsedVariant.success || !ID_PATTERN.test(idText)) return null;
  return { variant: parsedVariant.data, id: Number(idText) };
}
