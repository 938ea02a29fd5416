/**
 * `simila eval --feedback-rounds R`: the ImageFolder set becomes the archive (every image embedded once
 * with the model), then the simulated analyst runs R rounds of relevance feedback over seeded queries.
 */
import type { ImageFolder } from '../data/imageFolder';
import type { EmbeddingNet } from '../models/embeddingNet';
import type { RocchioWeights } from '../../feedback/rocchio';
import type { InputSource } from './inputSource';
import { embedWithNet } from './method';
import { simulateFeedback, type FeedbackSimulationResult } from './feedbackSimulation';

export interface FeedbackEvaluationOptions {
  folder: ImageFolder;
  net: EmbeddingNet;
  inputs: InputSource<string>;
  rounds: number;
  queries: number;
  seed: number;
  batchSize?: number;
  weights?: RocchioWeights;
  onEmbedded?: (done: number, total: number) => void;
}

export interface FeedbackEvaluationReport extends FeedbackSimulationResult {
  archive_images: number;
  archive_classes: number;
}

export async function evaluateFeedback(options: FeedbackEvaluationOptions): Promise<FeedbackEvaluationReport> {
  const files = options.folder.classes.flatMap((c) => c.images);
  const labels = options.folder.classes.flatMap((c) => c.images.map(() => c.name));
  const chunk = 1024;
  const vectors: Float32Array[] = [];
  for (let start = 0; start < files.length; start += chunk) {
    vectors.push(...(await embedWithNet(options.net, options.inputs, files.slice(start, start + chunk), options.batchSize)));
    options.onEmbedded?.(vectors.length, files.length);
  }
  const result = simulateFeedback({ vectors, labels, rounds: options.rounds, queries: options.queries, seed: options.seed, weights: options.weights });
  return { ...result, archive_images: files.length, archive_classes: options.folder.classes.length };
}
