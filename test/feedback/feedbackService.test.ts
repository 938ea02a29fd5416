import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SearchResponse } from '../../shared/rpc/contract';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { CSV_COLUMNS } from '../../main/feedback/feedbackExport';
import { createFeedbackService, imageQueryKey } from '../../main/feedback/feedbackService';
import { HnswIndex } from '../../main/index/hnswIndex';
import { modelSummary } from '../../main/search/searchService';

const DIM = 8;
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simila-feedback-'));
  file = path.join(dir, 'catalogue.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** 2 clusters of 12 images: cluster c lives around axis c. Returns ids per cluster. */
function seed(catalogue: Catalogue) {
  const model = catalogue.models.register({ name: 'm', stage: 'pretrain', dir: 'm', embeddingDim: DIM });
  const folder = catalogue.folders.ensure('/a');
  const clusters: number[][] = [[], []];
  let seedValue = 7;
  const rand = () => ((seedValue = (seedValue * 16807) % 2147483647) / 2147483647) - 0.5;
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < 12; i++) {
      const id = catalogue.images.insert({ hash: `h${c}-${i}`, width: 8, height: 8, format: 'png', byteSize: 1, meta: {} });
      catalogue.paths.upsert({ path: `/a/${c}-${i}.png`, imageId: id, folderId: folder, size: 1, mtimeMs: 1, seenByJob: null });
      const v = Float32Array.from({ length: DIM }, (_, j) => (j === c ? 1 : 0) + 0.9 * rand());
      catalogue.embeddings.putMany(model.id, [{ imageId: id, vector: v }]);
      clusters[c]!.push(id);
    }
  }
  return { model, clusters };
}

function buildIndex(catalogue: Catalogue, modelId: number): HnswIndex {
  const index = HnswIndex.create(DIM);
  const ids = catalogue.embeddings.ids(modelId);
  const vectors = catalogue.embeddings.getMany(modelId, ids);
  const flat = new Float32Array(ids.length * DIM);
  ids.forEach((id, i) => flat.set(vectors.get(id)!, i * DIM));
  index.add(ids, flat);
  return index;
}

function searchResponse(catalogue: Catalogue, modelId: number, queryId: number, index: HnswIndex, k: number): SearchResponse {
  const hits = index.search(catalogue.embeddings.get(modelId, queryId)!, k + 1).filter((n) => n.id !== queryId).slice(0, k);
  return {
    model: modelSummary(catalogue.models.get(modelId)!),
    query: { imageId: queryId, name: 'q.png' },
    hits: hits.map((n) => ({ image: { id: n.id, name: `${n.id}.png`, folderId: 1, width: 8, height: 8, format: 'png' }, distance: n.distance })),
    embedded: 24,
    total: 24,
    tookMs: 1,
  };
}

/** A search list of cluster 0's first image with one image marked relevant and one not; the gate's searches per list. */
function judgedList(catalogue: Catalogue, index: HnswIndex, modelId: number, clusters: number[][]) {
  const feedback = createFeedbackService({ catalogue, index: async () => index });
  const queryId = clusters[0]![0]!;
  const first = feedback.recordSearch(searchResponse(catalogue, modelId, queryId, index, 5), { queryKey: imageQueryKey(queryId), queryVector: null, k: 5 });
  feedback.judge(first.listId!, [clusters[0]![1]!], 'relevant');
  feedback.judge(first.listId!, [clusters[1]![0]!], 'not_relevant');
  const gateSearches = (listId: number) => (catalogue.resultLists.get(listId)?.params as { gateSearches: number }).gateSearches;
  return { feedback, first, gateSearches };
}

describe('feedback service', () => {
  it('keeps judgements and rounds across a re-opened catalogue, keeps rejected out and re-ranks toward the relevant', async () => {
    let catalogue = openCatalogue(file);
    const { model, clusters } = seed(catalogue);
    let index = buildIndex(catalogue, model.id);
    let feedback = createFeedbackService({ catalogue, index: async () => index });
    const queryId = clusters[0]![0]!;
    const queryKey = imageQueryKey(queryId);
    const first = feedback.recordSearch(searchResponse(catalogue, model.id, queryId, index, 10), { queryKey, queryVector: null, k: 10 });
    expect(first.listId).toBeGreaterThan(0);
    const shown = first.hits.map((h) => h.image.id);
    const wrong = shown.filter((id) => clusters[1]!.includes(id));
    const right = shown.filter((id) => clusters[0]!.includes(id));
    const rejectedOne = wrong[0] ?? clusters[1]![0]!;
    feedback.judge(first.listId!, right, 'relevant');
    const state = feedback.judge(first.listId!, [rejectedOne], 'not_relevant');
    expect(state.precision.judged).toBe(right.length + (wrong.length > 0 ? 1 : 0));
    expect(state.rounds).toHaveLength(1);
    catalogue.close();

    // Restart: judgements and history are still there.
    catalogue = openCatalogue(file);
    index = buildIndex(catalogue, model.id);
    feedback = createFeedbackService({ catalogue, index: async () => index });
    const reopened = feedback.state(first.listId!);
    expect(reopened.judgements.filter((j) => j.judgement === 'relevant').map((j) => j.imageId).sort()).toEqual([...right].sort());
    expect(reopened.judgements.find((j) => j.imageId === rejectedOne)?.judgement).toBe('not_relevant');

    // A new search of the same query leaves the rejected image out.
    const again = feedback.recordSearch(searchResponse(catalogue, model.id, queryId, index, 23), { queryKey, queryVector: null, k: 10 });
    expect(again.hits.map((h) => h.image.id)).not.toContain(rejectedOne);
    expect(again.hits).toHaveLength(10);

    const reranked = await feedback.rerank(first.listId!, 10);
    const ids = reranked.hits.map((h) => h.image.id);
    expect(ids).not.toContain(rejectedOne);
    expect(ids).not.toContain(queryId);
    expect(new Set(ids.slice(0, right.length))).toEqual(new Set(right));
    expect(ids.filter((id) => clusters[0]!.includes(id)).length).toBeGreaterThanOrEqual(right.length);
    const after = feedback.state(reranked.listId!);
    expect(after.rounds.map((r) => r.kind)).toEqual(['search', 'search', 'rerank']);
    expect(catalogue.resultLists.get(reranked.listId!)?.judgements.length).toBe(right.length + 1);

    // Cleared, the rejected image may come back.
    feedback.clear(first.listId!, [rejectedOne]);
    expect(feedback.rejectedIds(queryKey, model.id).has(rejectedOne)).toBe(false);
    expect(() => feedback.state(9999)).toThrow(/no result list/);
    catalogue.close();
  });

  it('remembers candidates\' page radii between rounds while the index stays the same', async () => {
    const catalogue = openCatalogue(file);
    const { model, clusters } = seed(catalogue);
    const index = buildIndex(catalogue, model.id);
    const { feedback, first, gateSearches } = judgedList(catalogue, index, model.id, clusters);

    const one = await feedback.rerank(first.listId!, 5);
    expect(gateSearches(one.listId!)).toBeGreaterThan(0);
    const two = await feedback.rerank(first.listId!, 5);
    expect(two.hits).toEqual(one.hits);
    expect(gateSearches(two.listId!)).toBe(0);

    // The index changed: radii may have too, so they are searched again (and the answer is still exact).
    // (A graph of 24 moves its neighbourhood epoch with every insert; a large one only past 1% growth.)
    index.add([9999], Float32Array.from({ length: DIM }, (_, j) => (j === 5 ? 1 : 0)));
    const three = await feedback.rerank(first.listId!, 5);
    expect(gateSearches(three.listId!)).toBe(gateSearches(one.listId!));
    catalogue.close();
  });

  it('keeps the remembered radii while a large index grows by under 1% (a re-embedding inserting), not past it', async () => {
    const catalogue = openCatalogue(file);
    const { model, clusters } = seed(catalogue);
    const index = buildIndex(catalogue, model.id);
    // Far-away filler up to 2,000 vectors: the clusters' neighbourhoods stay as they were.
    const filler = (from: number, count: number) => {
      const ids = Array.from({ length: count }, (_, i) => 100_000 + from + i);
      const rows = new Float32Array(count * DIM);
      ids.forEach((_, i) => {
        rows[i * DIM + 7] = -1;
        rows[i * DIM + 6] = ((from + i) % 97) / 97 - 0.5;
      });
      index.add(ids, rows);
    };
    filler(0, 2_001 - index.size);
    index.remove([100_000]); // a removal starts a neighbourhood epoch at 2,000 vectors
    const { feedback, first, gateSearches } = judgedList(catalogue, index, model.id, clusters);
    const one = await feedback.rerank(first.listId!, 5);
    expect(gateSearches(one.listId!)).toBeGreaterThan(0);
    filler(5_000, 10); // 0.5% more
    const two = await feedback.rerank(first.listId!, 5);
    expect(gateSearches(two.listId!)).toBe(0);
    expect(two.hits).toEqual(one.hits);
    filler(6_000, 20); // past 1% since the epoch began
    const three = await feedback.rerank(first.listId!, 5);
    expect(gateSearches(three.listId!)).toBe(gateSearches(one.listId!));
    catalogue.close();
  });

  it('exports the judged set and the rounds as CSV and JSON', () => {
    const catalogue = openCatalogue(file);
    const { model, clusters } = seed(catalogue);
    const index = buildIndex(catalogue, model.id);
    const feedback = createFeedbackService({ catalogue, index: async () => index });
    const queryId = clusters[1]![3]!;
    const queryKey = imageQueryKey(queryId);
    const list = feedback.recordSearch(searchResponse(catalogue, model.id, queryId, index, 5), { queryKey, queryVector: null, k: 5 });
    const firstHit = list.hits[0]!.image.id;
    feedback.judge(list.listId!, [firstHit], 'relevant');

    const json = JSON.parse(feedback.exportText('json', queryKey).text) as {
      queries: { queryKey: string; judgements: { imageId: number }[]; rounds: { hits: { imageId: number }[]; precision: { precisionAt5: number; cutoffs: { judged: number; positions: number; upper: number }[] } }[] }[];
    };
    expect(json.queries).toHaveLength(1);
    expect(json.queries[0]!.queryKey).toBe(queryKey);
    expect(json.queries[0]!.judgements.map((j) => j.imageId)).toEqual([firstHit]);
    expect(json.queries[0]!.rounds[0]!.hits.map((h) => h.imageId)).toEqual(list.hits.map((h) => h.image.id));
    // one of five judged (relevant): 0.20, with its coverage and the high end of its range
    expect(json.queries[0]!.rounds[0]!.precision.precisionAt5).toBe(0.2);
    expect(json.queries[0]!.rounds[0]!.precision.cutoffs[0]).toMatchObject({ judged: 1, positions: 5, upper: 1 });

    const csv = feedback.exportText('csv', queryKey);
    expect(csv.fileName.endsWith('.csv')).toBe(true);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.filter((l) => l.startsWith('judgement,'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('hit,'))).toHaveLength(5);
    expect(lines.every((l) => l.split(',').length === CSV_COLUMNS.length)).toBe(true);
    expect(feedback.exportText('json', 'image:424242').text).toContain('"queries": []');
    catalogue.close();
  });
});
