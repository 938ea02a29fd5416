/**
 * In-memory relevance feedback for the fake client: records every result list a fake search or re-rank
 * answers, keeps judgements per query key (one fake model), computes precision with the real metric and
 * re-ranks like the back end's contract says (relevant on top, rejected left out).
 */
import type { FeedbackState, Judgement, RequestOf, ResponseOf, SearchResponse } from '@shared/rpc/contract';
import { feedbackPrecision } from '../../main/feedback/precision';
import { RpcCallError } from '../../renderer/src/rpc/types';

interface FakeList {
  listId: number;
  queryKey: string;
  kind: 'search' | 'rerank' | 'refine';
  k: number;
  response: SearchResponse;
}

export const REFINE_UNSUPPORTED = 'Refining the model needs the few-shot adaptation engine, which this build does not have yet; re-rank instead.';

export interface FakeFeedback {
  lists: Map<number, FakeList>;
  judgements: Map<string, Map<number, Judgement>>;
  /** Records a search answer as a list (rejected hits left out) and names it by listId and queryKey. */
  record(response: SearchResponse, queryKey: string, k: number, kind?: FakeList['kind']): SearchResponse;
  state(listId: number): FeedbackState;
  judge(request: RequestOf<'feedback.judge'>): Promise<ResponseOf<'feedback.judge'>>;
  clear(request: RequestOf<'feedback.clear'>): Promise<ResponseOf<'feedback.clear'>>;
  rerank(request: RequestOf<'feedback.rerank'>): Promise<ResponseOf<'feedback.rerank'>>;
  refineModel(request: RequestOf<'feedback.refineModel'>): Promise<ResponseOf<'feedback.refineModel'>>;
  exportText(request: RequestOf<'feedback.export'>): Promise<ResponseOf<'feedback.export'>>;
}

export function createFakeFeedback(): FakeFeedback {
  const lists = new Map<number, FakeList>();
  const judgements = new Map<string, Map<number, Judgement>>();
  let nextListId = 500;

  const judgementsOf = (queryKey: string) => {
    let map = judgements.get(queryKey);
    if (!map) judgements.set(queryKey, (map = new Map()));
    return map;
  };
  const requireList = (listId: number) => {
    const list = lists.get(listId);
    if (!list) throw new RpcCallError('not_found', `There is no result list ${listId}.`);
    return list;
  };
  const idsOf = (list: FakeList) => list.response.hits.map((h) => h.image.id);

  function record(response: SearchResponse, queryKey: string, k: number, kind: FakeList['kind'] = 'search'): SearchResponse {
    const judged = judgementsOf(queryKey);
    const hits = response.hits.filter((h) => judged.get(h.image.id) !== 'not_relevant');
    const listId = nextListId++;
    const recorded = { ...response, hits, listId, queryKey };
    lists.set(listId, { listId, queryKey, kind, k, response: recorded });
    return recorded;
  }

  function state(listId: number): FeedbackState {
    const list = requireList(listId);
    const judged = judgementsOf(list.queryKey);
    const rounds = [...lists.values()]
      .filter((l) => l.queryKey === list.queryKey)
      .sort((a, b) => a.listId - b.listId)
      .map((l, round) => ({
        listId: l.listId,
        round,
        kind: l.kind,
        modelId: l.response.model.id,
        k: l.k,
        createdAt: '2026-01-01T00:00:00Z',
        precision: feedbackPrecision(idsOf(l), judged),
      }));
    return {
      listId,
      queryKey: list.queryKey,
      modelId: list.response.model.id,
      judgements: [...judged].map(([imageId, judgement]) => ({ imageId, judgement, updatedAt: '2026-01-01T00:00:00Z' })),
      precision: feedbackPrecision(idsOf(list), judged),
      rounds,
    };
  }

  return {
    lists,
    judgements,
    record,
    state,
    async judge({ listId, imageIds, judgement }) {
      const list = requireList(listId);
      for (const id of imageIds) judgementsOf(list.queryKey).set(id, judgement);
      return state(listId);
    },
    async clear({ listId, imageIds }) {
      const list = requireList(listId);
      const judged = judgementsOf(list.queryKey);
      if (imageIds) for (const id of imageIds) judged.delete(id);
      else judged.clear();
      return state(listId);
    },
    async rerank({ listId, k }) {
      const list = requireList(listId);
      const judged = judgementsOf(list.queryKey);
      const hits = list.response.hits;
      const relevant = hits.filter((h) => judged.get(h.image.id) === 'relevant');
      const rest = hits.filter((h) => !judged.has(h.image.id) || judged.get(h.image.id) === 'unsure');
      const response = { ...list.response, hits: [...relevant, ...rest].slice(0, k ?? list.k), tookMs: 1.5 };
      return record(response, list.queryKey, k ?? list.k, 'rerank');
    },
    async refineModel({ listId }) {
      requireList(listId);
      throw new RpcCallError('unsupported', REFINE_UNSUPPORTED);
    },
    async exportText({ queryKey, format }) {
      const keys = queryKey ? [queryKey] : [...judgements.keys()];
      const rows = keys.flatMap((key) => [...judgementsOf(key)].map(([id, judgement]) => ({ queryKey: key, imageId: id, judgement })));
      const text = format === 'json' ? JSON.stringify({ judgements: rows }) : ['query_key,image_id,judgement', ...rows.map((r) => `${r.queryKey},${r.imageId},${r.judgement}`)].join('\n');
      return { format, fileName: `simila-feedback${queryKey ? `-${queryKey.replace(':', '-')}` : ''}.${format}`, text };
    },
  };
}
