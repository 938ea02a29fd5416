/** Nearest-neighbour search over embeddings: HNSW per model (a cache of SQLite's vectors) and exact search. */
export { exactSearch } from './exactSearch';
export { HnswIndex, DEFAULT_HNSW_PARAMS, type HnswParams } from './hnswIndex';
export type { GraphIndex, WrittenGraph } from './graphIndex';
export { ThreadedHnswIndex, onIndexThreads, inThisThread, type GraphHost } from './threadedIndex';
export { buildIndex, catchUp, type BuildOptions } from './buildIndex';
export { openModelIndex, saveModelIndex, catalogueVectorSource, type OpenedIndex, type IndexOrigin, type ModelIndexLocation } from './modelIndex';
export { indexPaths, type IndexSidecar } from './indexFiles';
export type { Neighbour, IdFilter, VectorSource } from './types';
