// Model packages: a folder with manifest.json + weights.bin, saved atomically, loaded with validation.
export { MANIFEST_FORMAT, MANIFEST_VERSION, modelManifestSchema, type ModelManifest, type TensorSpec } from './manifest';
export { buildManifest, loadModelPackage, readModelManifest, saveModelPackage, MANIFEST_FILE, WEIGHTS_FILE, type LoadResult, type ManifestInput, type ManifestResult, type PackageError, type PackageErrorCode } from './modelPackage';
export { registerModelPackage, type ModelsRegistry, type RegisterResult } from './registerModel';
export { writeTensorBundle, readTensorBundle, type NamedTensor } from './tensorBundle';
export { writeFolderAtomically } from './atomicFolder';
