/**
 * Search filters as the set of image ids they allow (null: no filter). Only visible images (with at
 * least one path) pass. `label` is, until real labels exist (issue 5), the name of a folder that holds
 * the image (e.g. "CXR" for .../mednist/CXR/001.jpeg); `modality` matches the image's `modality` meta
 * (DICOM Modality, e.g. "CT"), case-insensitively.
 */
import path from 'node:path';
import type { SearchFilters } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';

export function hasFilters(filters: SearchFilters | undefined): boolean {
  return !!filters && (filters.folderId != null || (filters.modality ?? '') !== '' || (filters.label ?? '') !== '');
}

export function allowedIds(catalogue: Catalogue, filters: SearchFilters | undefined): Set<number> | null {
  if (!filters || !hasFilters(filters)) return null;
  const clauses: string[] = [];
  const values: Record<string, string | number> = {};
  if (filters.folderId != null) {
    clauses.push('EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id AND p.folder_id = @folderId)');
    values.folderId = filters.folderId;
  } else {
    clauses.push('EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id)');
  }
  if (filters.modality) {
    clauses.push("lower(json_extract(i.meta, '$.modality')) = lower(@modality)");
    values.modality = filters.modality;
  }
  if (filters.label) {
    const folders = catalogue.folders
      .listWithCounts()
      .filter((f) => path.basename(f.path) === filters.label)
      .map((f) => f.id);
    if (folders.length === 0) return new Set();
    clauses.push(`EXISTS (SELECT 1 FROM image_paths q WHERE q.image_id = i.id AND q.folder_id IN (${folders.join(',')}))`);
  }
  const rows = catalogue.db.prepare(`SELECT i.id FROM images i WHERE ${clauses.join(' AND ')}`).all(values) as { id: number }[];
  return new Set(rows.map((r) => r.id));
}
