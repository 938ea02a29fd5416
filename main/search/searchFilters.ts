/**
 * Search filters as the set of image ids they allow (null: no filter). Only visible images (with at
 * least one path) pass. Facet fields (modality, body part, series description, folder, format, study
 * dates, one series) are answered by the in-memory facet index; the older single-value forms `folderId`
 * (any path in the folder) and `label` (the name of a folder that holds the image, e.g. "CXR" for
 * .../mednist/CXR/001.jpeg) by the catalogue.
 */
import path from 'node:path';
import type { SearchFilters } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import { facetIndexFor, hasFacetFilters, type FacetIndex } from '../library/facetIndex';
import { toFacetFilters } from '../library/filters';

export function hasFilters(filters: SearchFilters | undefined): boolean {
  return !!filters && (filters.folderId != null || (filters.label ?? '') !== '' || hasFacetFilters(toFacetFilters(filters)));
}

/** The last few answers per catalogue, by filters, valid while the facet index they came from is current. */
const recent = new WeakMap<Catalogue, Map<string, { index: FacetIndex; ids: Set<number> }>>();
const RECENT_ANSWERS = 8;

export function allowedIds(catalogue: Catalogue, filters: SearchFilters | undefined): Set<number> | null {
  if (!filters || !hasFilters(filters)) return null;
  const facets = toFacetFilters(filters);
  const index = hasFacetFilters(facets) ? facetIndexFor(catalogue) : null;
  const legacyKey = filters.folderId != null || filters.label ? null : JSON.stringify(facets);
  let answers = recent.get(catalogue);
  if (!answers) recent.set(catalogue, (answers = new Map()));
  const known = legacyKey !== null ? answers.get(legacyKey) : undefined;
  if (known && known.index === index) return known.ids;
  let allowed: Set<number> | null = index ? new Set(index.matchingIds(facets)) : null;
  const legacy = legacyAllowedIds(catalogue, filters);
  if (legacy) allowed = allowed ? new Set([...allowed].filter((id) => legacy.has(id))) : legacy;
  const ids = allowed ?? new Set<number>();
  if (legacyKey !== null && index) {
    answers.delete(legacyKey);
    answers.set(legacyKey, { index, ids });
    if (answers.size > RECENT_ANSWERS) answers.delete(answers.keys().next().value as string);
  }
  return ids;
}

function legacyAllowedIds(catalogue: Catalogue, filters: SearchFilters): Set<number> | null {
  const clauses: string[] = [];
  const values: Record<string, string | number> = {};
  if (filters.folderId != null) {
    clauses.push('EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id AND p.folder_id = @folderId)');
    values.folderId = filters.folderId;
  }
  if (filters.label) {
    const folders = catalogue.folders
      .listWithCounts()
      .filter((f) => path.basename(f.path) === filters.label)
      .map((f) => f.id);
    if (folders.length === 0) return new Set();
    clauses.push(`EXISTS (SELECT 1 FROM image_paths q WHERE q.image_id = i.id AND q.folder_id IN (${folders.join(',')}))`);
  }
  if (clauses.length === 0) return null;
  const rows = catalogue.db.prepare(`SELECT i.id FROM images i WHERE ${clauses.join(' AND ')}`).all(values) as { id: number }[];
  return new Set(rows.map((r) => r.id));
}
