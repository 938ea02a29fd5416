/**
 * A query vector from an image's cached trunk row: while an adapted profile re-embeds the archive, an
 * image it has not reached yet still has the rectified activations of the frozen stages in the
 * catalogue (the parent's embedding left them), so the adapted stages and head run on that row (a
 * fraction of a millisecond) instead of reading and decoding the file again. Null when there is no row
 * or the model cannot re-embed from a trunk (then the caller embeds the file as before).
 */
import type { Catalogue } from '../catalogue/catalogue';
import type { ModelRecord } from '../catalogue/repositories/models';
import { loadAdaptableModel, type AdaptableModel } from '../adaptation/adaptableModel';
import { embedFromTrunk } from '../adaptation/reembedJob';
import { trunkShape } from '../adaptation/trunkFeatureStore';

export interface TrunkVectors {
  vectorOf(model: ModelRecord, imageId: number): Promise<Float32Array | null>;
  close(): void;
}

interface Loaded {
  modelId: number;
  model: Promise<{ adaptable: AdaptableModel; shape: [number, number, number] } | null>;
}

export function createTrunkVectors(options: { catalogue: Catalogue; modelsDir: string; preferBackends?: string[] }): TrunkVectors {
  // One model at a time: the active one (an activation replaces it).
  let loaded: Loaded | null = null;
  const modelFor = (model: ModelRecord) => {
    if (loaded?.modelId === model.id) return loaded.model;
    const previous = loaded;
    loaded = {
      modelId: model.id,
      model: loadAdaptableModel(options.modelsDir, model, undefined, options.preferBackends).then(
        (adaptable) => ({ adaptable, shape: trunkShape(adaptable.net, adaptable.fromStage) }),
        () => null, // not loadable as an adaptable model: the caller embeds the file
      ),
    };
    void previous?.model.then((p) => p?.adaptable.dispose());
    return loaded.model;
  };
  return {
    async vectorOf(model, imageId) {
      const ready = await modelFor(model);
      if (!ready) return null;
      const row = options.catalogue.trunkFeatures.get(ready.adaptable.key, imageId);
      const [h, w, c] = ready.shape;
      if (!row || row.length !== h * w * c) return null;
      return embedFromTrunk(ready.adaptable, ready.shape, row, 1);
    },
    close() {
      void loaded?.model.then((p) => p?.adaptable.dispose());
      loaded = null;
    },
  };
}
