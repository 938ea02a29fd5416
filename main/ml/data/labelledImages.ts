import type { ImageFolder } from './imageFolder';

export interface LabelledImage {
  path: string;
  label: number;
}

export interface LabelledSet {
  images: LabelledImage[];
  /** Class names by label, prefixed with their set's folder name so classes of several sets stay distinct. */
  classNames: string[];
}

/** Joins several ImageFolder sets into one label space: every class of every set gets its own label. */
export function joinImageFolders(folders: readonly ImageFolder[], setNames?: readonly string[]): LabelledSet {
  const images: LabelledImage[] = [];
  const classNames: string[] = [];
  folders.forEach((folder, setIndex) => {
    const setName = setNames?.[setIndex] ?? folder.root;
    for (const cls of folder.classes) {
      const label = classNames.length;
      classNames.push(`${setName}/${cls.name}`);
      for (const image of cls.images) images.push({ path: image, label });
    }
  });
  return { images, classNames };
}
