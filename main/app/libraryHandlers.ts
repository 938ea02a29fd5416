/**
 * Handlers of the grouped library (issue 11): facet counts, the patient > study > series tree, one
 * series for the stack viewer, and the flat grid under facet filters. All of it reads the in-memory
 * facet index, rebuilt when the catalogue changed.
 */
import path from 'node:path';
import type { ImageSummary, SearchFilters } from '../../shared/rpc/contract';
import { facetIndexFor, hasFacetFilters } from '../library/facetIndex';
import { toFacetFilters } from '../library/filters';
import { buildSeriesTree, patientLabel, seriesNode } from '../library/seriesTree';
import { allowedIds } from '../search/searchFilters';
import { AppError } from './errors';
import type { Services } from './services';
import type { Handlers } from './types';

type LibraryChannels = 'library.page' | 'library.facets' | 'library.tree' | 'library.series';

export function createLibraryHandlers(services: Services): Pick<Handlers, LibraryChannels> {
  const { catalogue } = services;
  const summaries = (items: ReturnType<typeof catalogue.images.page>): ImageSummary[] =>
    items.map((item) => ({ id: item.id, name: path.basename(item.path), folderId: item.folderId, width: item.width, height: item.height, format: item.format }));

  return {
    async 'library.page'({ offset, limit, folderId, filters }) {
      const combined: SearchFilters | undefined = filters || folderId != null ? { ...filters, ...(folderId != null ? { folderId } : {}) } : undefined;
      if (!combined || (!hasFacetFilters(toFacetFilters(combined)) && !combined.label)) {
        return { total: catalogue.images.countVisible(folderId), items: summaries(catalogue.images.page(offset, limit, folderId)) };
      }
      // Filtered: the matching ids (sorted) come from the facet index; only the page's rows from SQLite.
      const ids = [...(allowedIds(catalogue, combined) ?? [])].sort((a, b) => a - b);
      return { total: ids.length, items: summaries(catalogue.images.byIds(ids.slice(offset, offset + limit), folderId ?? null)) };
    },
    async 'library.facets'({ filters }) {
      return facetIndexFor(catalogue).counts(toFacetFilters(filters));
    },
    async 'library.tree'({ filters }) {
      return { patients: buildSeriesTree(facetIndexFor(catalogue), toFacetFilters(filters)) };
    },
    async 'library.series'({ seriesId }) {
      const index = facetIndexFor(catalogue);
      const series = index.series.get(seriesId);
      const ids = index.seriesImageIds(seriesId);
      if (!series || ids.length === 0) throw new AppError('not_found', `There is no series ${seriesId} in the library.`);
      const instances = ids.map((imageId) => {
        const h = catalogue.hierarchy.instance(imageId);
        return { imageId, instanceNumber: h?.instanceNumber ?? null, slicePosition: h?.slicePosition ?? null, frames: h?.frames ?? 1 };
      });
      const node = seriesNode(series, ids.length, ids[Math.floor((ids.length - 1) / 2)] as number);
      const tree = buildSeriesTree(index, { seriesId });
      const study = tree[0]?.studies[0];
      return { series: node, studyLabel: study?.label ?? '', patientLabel: patientLabel(series.patientKey), instances };
    },
  };
}
