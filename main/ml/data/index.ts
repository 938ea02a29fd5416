// Data for training and inference: ImageFolder sets, the one preprocessing function, batch loading.
export { scanImageFolder, IMAGE_EXTENSIONS, type ImageFolder, type ImageFolderClass, type ScanResult } from './imageFolder';
export { joinImageFolders, type LabelledImage, type LabelledSet } from './labelledImages';
export { preprocess, toInputPixels, normalisePixels, modalityFrameToPixels, type ImageSource, type InputPixels, type ModalityFrame } from './preprocess';
export { defaultPreprocessSpec, type PreprocessSpec } from './preprocessSpec';
export { createBatchLoader, type Batch, type BatchLoader, type BatchLoaderOptions } from './batchLoader';
