/**
 * Files images catalogued before the hierarchy existed (migration 008) into patient > study > series:
 * DICOM headers are re-read (parsed only, pixels never decoded), plain images go by folder. A job that
 * resumes by its nature: each batch commits, and what is filed is never read again.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Catalogue } from '../catalogue/catalogue';
import { placeImage } from '../catalogue/hierarchyPlacement';
import type { ImageMeta } from '../catalogue/repositories/images';
import { dicomHierarchyMeta } from '../ingest/decoders/dicomDecoder';
import { readPixelHeader } from '../ingest/dicom/header';
import { parseDataSet } from '../ingest/dicom/parse';
import type { JobRunner } from '../jobs/jobQueue';
import { yieldToEventLoop } from '../threads/cooperative';

export const HIERARCHY_JOB_KIND = 'hierarchy';
const BATCH = 200;
/** Header re-reads refuse deflated data sets that inflate beyond this. */
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/** Header facts of one catalogued DICOM file, or why they could not be read. */
async function rereadHeader(file: string): Promise<{ ok: true; meta: ImageMeta } | { ok: false; reason: string }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    return { ok: false, reason: `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  const parsed = parseDataSet(bytes, MAX_INFLATED_BYTES);
  if (!parsed.ok) return { ok: false, reason: parsed.message };
  return { ok: true, meta: dicomHierarchyMeta(readPixelHeader(parsed.dataSet).meta) };
}

export interface BackfillCounts {
  filed: number;
  reread: number;
  /** DICOM files whose header could not be read again: filed from the UIDs stored at import. */
  unreadable: number;
}

/** Files every unfiled image; `onBatch` after each committed batch. Stops between batches when aborted. */
export async function backfillHierarchy(
  catalogue: Catalogue,
  options: { signal?: AbortSignal; onBatch?: (counts: BackfillCounts, remaining: number) => void } = {},
): Promise<BackfillCounts & { cancelled: boolean }> {
  const counts: BackfillCounts = { filed: 0, reread: 0, unreadable: 0 };
  let afterId = 0;
  for (;;) {
    if (options.signal?.aborted) return { ...counts, cancelled: true };
    const ids = catalogue.hierarchy.unfiled(afterId, BATCH);
    if (ids.length === 0) return { ...counts, cancelled: false };
    afterId = ids[ids.length - 1] as number;
    const placements: { id: number; extra: ImageMeta | null; placement: ReturnType<typeof placeImage> }[] = [];
    for (const id of ids) {
      const image = catalogue.images.get(id);
      const first = catalogue.paths.listForImage(id)[0];
      if (!image || !first) continue;
      const folder = { id: first.folderId, path: path.dirname(first.path) };
      let meta = image.meta;
      let extra: ImageMeta | null = null;
      if (image.format === 'dicom') {
        const header = await rereadHeader(first.path);
        if (header.ok) {
          const { patient_digest: _digest, ...stored } = header.meta;
          extra = stored;
          meta = { ...image.meta, ...header.meta };
          counts.reread++;
        } else {
          counts.unreadable++;
        }
      }
      placements.push({ id, extra, placement: placeImage(meta, image.format, folder) });
    }
    catalogue.transaction(() => {
      for (const { id, extra, placement } of placements) {
        if (extra) catalogue.images.mergeMeta(id, extra);
        catalogue.hierarchy.file(id, placement);
        counts.filed++;
      }
    });
    options.onBatch?.(counts, catalogue.hierarchy.countUnfiled());
    // Plain images need no file reads: yield anyway, so requests are answered while a large archive is filed.
    await yieldToEventLoop();
  }
}

export function createHierarchyRunner(options: { catalogue: Catalogue }): JobRunner {
  return async (context) => {
    const total = options.catalogue.hierarchy.countUnfiled();
    const result = await backfillHierarchy(options.catalogue, {
      signal: context.signal,
      onBatch: (counts, remaining) =>
        context.report({ total: counts.filed + remaining, done: counts.filed, imported: counts.filed, skipped: 0, failed: counts.unreadable }),
    });
    const { cancelled, ...summary } = result;
    return {
      summary,
      counts: { total, done: result.filed, imported: result.filed, skipped: 0, failed: result.unreadable },
      message: result.unreadable > 0 ? `${result.unreadable} DICOM files could not be read again; they are filed by the UIDs stored at import.` : null,
      cancelled,
    };
  };
}
