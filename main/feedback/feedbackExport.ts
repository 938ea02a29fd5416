/**
 * Export of the judged set and the history of rounds of one query (or of every query) as CSV or JSON.
 * Precision of each round is computed under the judgements as they stand at export time, and carries its
 * coverage: in JSON every cut-off's judged count and range, in CSV one `precision` row per round and
 * cut-off (k, positions, judged, relevant, the figure, its upper end, the judged-only share).
 */
import type { FeedbackExport } from '../../shared/rpc/contract';
import type { JudgementRecord } from '../catalogue/repositories/judgements';
import type { ResultListRecord } from '../catalogue/repositories/resultLists';
import { feedbackPrecision } from './precision';

export const CSV_COLUMNS = [
  'record', 'query_key', 'model_id', 'list_id', 'round', 'kind', 'at', 'rank', 'image_id', 'distance', 'judgement',
  'cutoff', 'positions', 'judged', 'relevant', 'precision', 'precision_upper', 'precision_judged_only',
] as const;

interface QueryHistory {
  queryKey: string;
  modelId: number;
  judgements: JudgementRecord[];
  lists: ResultListRecord[];
}

/** Groups judgements and lists by (query key, model), in the order they first appear. */
function histories(judgements: readonly JudgementRecord[], lists: readonly ResultListRecord[]): QueryHistory[] {
  const byKey = new Map<string, QueryHistory>();
  const entry = (queryKey: string, modelId: number) => {
    const key = `${queryKey}\u0000${modelId}`;
    let h = byKey.get(key);
    if (!h) byKey.set(key, (h = { queryKey, modelId, judgements: [], lists: [] }));
    return h;
  };
  for (const list of lists) entry(list.queryKey, list.modelId).lists.push(list);
  for (const j of judgements) entry(j.queryKey, j.modelId).judgements.push(j);
  return [...byKey.values()];
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function exportFeedback(
  judgements: readonly JudgementRecord[],
  lists: readonly ResultListRecord[],
  format: 'csv' | 'json',
  queryKey?: string,
  now = new Date(),
): FeedbackExport {
  const groups = histories(judgements, lists);
  const stem = `simila-feedback-${queryKey ? queryKey.replace(/[^a-z0-9]+/gi, '-').slice(0, 40) : 'all'}`;
  if (format === 'json') {
    const queries = groups.map((g) => {
      const lookup = new Map(g.judgements.map((j) => [j.imageId, j.judgement]));
      return {
        queryKey: g.queryKey,
        modelId: g.modelId,
        judgements: g.judgements.map((j) => ({ imageId: j.imageId, judgement: j.judgement, updatedAt: j.updatedAt })),
        rounds: g.lists.map((list, round) => ({
          listId: list.id,
          round,
          kind: list.kind,
          modelId: list.modelId,
          modelName: list.modelName,
          queryName: list.queryName,
          queryImageId: list.queryImageId,
          k: list.k,
          filters: list.filters,
          support: list.support,
          judgementsApplied: list.judgements,
          params: list.params,
          createdAt: list.createdAt,
          hits: list.hits.map((h, rank) => ({ rank, imageId: h.imageId, distance: h.distance })),
          precision: feedbackPrecision(list.hits.map((h) => h.imageId), lookup),
        })),
      };
    });
    return { format, fileName: `${stem}.json`, text: `${JSON.stringify({ exportedAt: now.toISOString(), queries }, null, 2)}\n` };
  }
  const rows: (string | number | null)[][] = [[...CSV_COLUMNS]];
  for (const g of groups) {
    const lookup = new Map(g.judgements.map((j) => [j.imageId, j.judgement]));
    for (const j of g.judgements) rows.push(['judgement', g.queryKey, g.modelId, null, null, null, j.updatedAt, null, j.imageId, null, j.judgement]);
    g.lists.forEach((list, round) => {
      const ids = list.hits.map((h) => h.imageId);
      for (const c of feedbackPrecision(ids, lookup).cutoffs) {
        const listCells = ['precision', g.queryKey, g.modelId, list.id, round, list.kind, list.createdAt, null, null, null, null];
        rows.push([...listCells, c.k, c.positions, c.judged, c.relevant, c.precision, c.upper, c.judgedOnly]);
      }
      list.hits.forEach((h, rank) =>
        rows.push(['hit', g.queryKey, g.modelId, list.id, round, list.kind, list.createdAt, rank, h.imageId, h.distance, lookup.get(h.imageId) ?? null]),
      );
    });
  }
  // Judgement and hit rows leave the precision columns empty: every row has every column.
  const padded = rows.map((r) => [...r, ...new Array<null>(CSV_COLUMNS.length - r.length).fill(null)]);
  return { format, fileName: `${stem}.csv`, text: padded.map((r) => r.map(csvCell).join(',')).join('\n') + '\n' };
}
