import type { ImageFolder } from '../data/imageFolder';
import type { LabelledItem } from './episodeSampler';

/** An ImageFolder set as an episode pool: item id = image path, class key = class folder name. */
export function labelledPoolFromImageFolder(folder: ImageFolder): LabelledItem<string>[] {
  return folder.classes.flatMap((cls) => cls.images.map((image) => ({ itemId: image, classKey: cls.name })));
}
