/** Backbone names (`--arch`, a model manifest's architecture.arch); no tfjs here, the manifest schema reads it. */
export const ARCHITECTURES = ['conv4', 'resnet12', 'dwsconv4'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
