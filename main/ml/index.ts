// Public surface of the ML engine: backend selection, models, losses, samplers, one training step.
export { BACKEND_ORDER, selectBackend, type BackendSelection, type SelectBackendOptions } from './backend/selectBackend';
export { registerWasmTrainingKernels, unregisterWasmTrainingKernels, installedWasmTrainingKernels, PROJECT_KERNELS } from './kernels/wasm/registerWasmTrainingKernels';
export { createEmbeddingNet, load, l2Normalise, resolveConfig, type Architecture, type EmbeddingNet, type EmbeddingNetConfig, type ForwardOptions, type ParameterGroup } from './models/embeddingNet';
export type { ParameterInfo, ParameterKind } from './models/parameterStore';
export { allPairsMiner, type MetricLoss, type PairMiner, type PairMasks } from './losses/metricLoss';
export { multiSimilarityMiner } from './losses/miners/multiSimilarityMiner';
export { multiSimilarityLoss, type MultiSimilarityOptions } from './losses/multiSimilarityLoss';
export { createClassBalancedSampler, type BatchSampler, type ClassBalancedOptions, type SamplerResult } from './samplers/classBalancedSampler';
export { seededRandom, shuffleInPlace } from './samplers/seededRandom';
export { metricTrainStep } from './training/metricTrainStep';
