/**
 * Turns a selection ({all} | {fromSearch: listId} | {ids}) into export items, from the catalogue:
 * the image's first path, its series description, the target classes it is labelled with (support or
 * holdout), and for a saved result list the rank, distance and the analyst's current mark.
 */
import type { Catalogue } from '../catalogue/catalogue';
import type { ExportItem } from './exporter';

export type ExportSelection = { all: true } | { fromSearch: number } | { ids: readonly number[] };

export class SelectionError extends Error {}

const PAGE = 1000;

function classNamesByImage(catalogue: Catalogue): Map<number, string[]> {
  const names = new Map<number, string[]>();
  for (const cls of catalogue.classes.list()) {
    for (const label of catalogue.classes.labels(cls.id)) {
      if (label.role === 'negative') continue;
      const list = names.get(label.imageId) ?? [];
      if (!list.includes(cls.name)) list.push(cls.name);
      names.set(label.imageId, list);
    }
  }
  return names;
}

function seriesDescription(catalogue: Catalogue, imageId: number): string | null {
  const value = catalogue.images.get(imageId)?.meta.series_description;
  return typeof value === 'string' && value ? value : null;
}

export function selectExportItems(catalogue: Catalogue, selection: ExportSelection): ExportItem[] {
  const classes = classNamesByImage(catalogue);
  const base = (imageId: number, path: string | null): ExportItem => ({
    imageId,
    path,
    seriesDescription: seriesDescription(catalogue, imageId),
    className: classes.get(imageId)?.join(';') ?? null,
  });

  if ('all' in selection) {
    const items: ExportItem[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = catalogue.images.page(offset, PAGE, null);
      for (const row of page) items.push(base(row.id, row.path));
      if (page.length < PAGE) break;
    }
    if (items.length === 0) throw new SelectionError('The catalogue holds no images to export.');
    return items;
  }

  if ('ids' in selection) {
    if (selection.ids.length === 0) throw new SelectionError('No image ids were given.');
    const unknown = selection.ids.filter((id) => !catalogue.images.get(id));
    if (unknown.length > 0) throw new SelectionError(`The catalogue has no image ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', ...' : ''}.`);
    return [...new Set(selection.ids)].map((id) => base(id, catalogue.paths.listForImage(id)[0]?.path ?? null));
  }

  const list = catalogue.resultLists.get(selection.fromSearch);
  if (!list) throw new SelectionError(`There is no saved result list ${selection.fromSearch}.`);
  if (list.hits.length === 0) throw new SelectionError(`The result list ${selection.fromSearch} has no hits.`);
  // The analyst's marks as they stand now; the list's own record of judgements where there is none.
  const marks = new Map(list.judgements.map((j) => [j.imageId, j.judgement as string]));
  for (const [imageId, judgement] of catalogue.judgements.lookup(list.queryKey, list.modelId)) marks.set(imageId, judgement);
  return list.hits.map((hit, rank) => ({
    ...base(hit.imageId, catalogue.paths.listForImage(hit.imageId)[0]?.path ?? null),
    rank,
    distance: hit.distance,
    mark: marks.get(hit.imageId) ?? null,
  }));
}
