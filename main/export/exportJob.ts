/**
 * The 'export' job kind (the app's Export dialog): a selection exported into a new sub-folder of the
 * folder the analyst chose, with progress and cancel. A job re-run after a crash writes into a fresh
 * sub-folder (an export never overwrites), and the one it left says in its log how far it got.
 */
import path from 'node:path';
import type { Catalogue } from '../catalogue/catalogue';
import type { JobRunner } from '../jobs/jobQueue';
import { BURNED_IN_MODALITIES } from './basicProfile';
import { exportItems } from './exporter';
import { selectExportItems, type ExportSelection } from './exportSelection';

export const EXPORT_JOB_KIND = 'export';

export interface ExportJobParams {
  /** The chosen folder (absolute; resolved from a handle main issued). */
  root: string;
  selection: { all: true } | { listId: number } | { imageIds: number[] };
  deidentify: boolean;
  dateShiftDays?: number;
  includeBurnedIn?: boolean;
}

export function toExportSelection(selection: ExportJobParams['selection']): ExportSelection {
  if ('all' in selection) return { all: true };
  if ('listId' in selection) return { fromSearch: selection.listId };
  return { ids: selection.imageIds };
}

/** What the dialog shows before the analyst starts: counts, and how many files would be held back for burned-in text. */
export function previewExport(catalogue: Catalogue, selection: ExportJobParams['selection']) {
  const items = selectExportItems(catalogue, toExportSelection(selection));
  let dicom = 0;
  let flaggedBurnedIn = 0;
  for (const item of items) {
    const image = catalogue.images.get(item.imageId);
    if (image?.format !== 'dicom') continue;
    dicom++;
    const burnedIn = typeof image.meta.burned_in_annotation === 'string' ? image.meta.burned_in_annotation.toUpperCase() : null;
    const modality = typeof image.meta.modality === 'string' ? image.meta.modality.toUpperCase() : '';
    if (burnedIn === 'YES' || (burnedIn === null && BURNED_IN_MODALITIES.has(modality))) flaggedBurnedIn++;
  }
  return { images: items.length, dicom, notDicom: items.length - dicom, flaggedBurnedIn };
}

export function createExportRunner(options: { catalogue: Catalogue }): JobRunner {
  return async ({ jobId, params, signal, report }) => {
    const p = params as ExportJobParams;
    const items = selectExportItems(options.catalogue, toExportSelection(p.selection));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const out = path.join(p.root, `simila-export-${stamp}-job${jobId}`);
    const result = await exportItems(items, out, {
      deidentify: p.deidentify,
      ...(p.deidentify && p.dateShiftDays !== undefined ? { dateShiftDays: p.dateShiftDays } : {}),
      includeBurnedIn: p.includeBurnedIn ?? false,
      signal,
      onProgress: (progress) => report({ total: progress.total, done: progress.done, imported: progress.exported, skipped: progress.skipped, failed: 0 }),
    });
    const summary = { exported: result.exported, skipped: result.skipped, flagged_burned_in: result.flaggedBurnedIn, out: result.out };
    const held = p.deidentify && !p.includeBurnedIn && result.flaggedBurnedIn > 0 ? ` ${result.flaggedBurnedIn} held back for burned-in text.` : '';
    return {
      summary,
      counts: { total: items.length, done: result.exported + result.skipped, imported: result.exported, skipped: result.skipped, failed: 0 },
      message: `Exported ${result.exported} of ${items.length} to ${result.out}.${held}`,
      cancelled: result.cancelled,
    };
  };
}
