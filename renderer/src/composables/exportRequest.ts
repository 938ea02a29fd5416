/**
 * The Export dialog's pure parts: what an export is of (a source the dialog offers), the preview
 * sentence, the date-shift field's rule, the `export.start` request built from the form (the options
 * the back end only takes with de-identification are left out without it), and a library selection
 * turned into an export selection.
 */
import type { ExportSelection, RequestOf, ResponseOf, SearchFilters } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { formatCount } from './format';
import type { Selection } from './selection';

/** One thing the dialog can export; `selection` may have to be worked out first (e.g. a series' instance ids). */
export interface ExportSource {
  id: string;
  label: string;
  selection: ExportSelection | (() => Promise<ExportSelection>);
}

export type ExportPreview = ResponseOf<'export.preview'>;

/** The back end's cap on an explicit list of image ids. */
export const MAX_EXPORT_IDS = 100_000;
export const MAX_DATE_SHIFT_DAYS = 3650;
/** Page size when a "select all" of a filtered library is resolved to ids. */
const RESOLVE_PAGE = 2000;

/** "12 images (10 DICOM, 2 other)". */
export function previewText(preview: ExportPreview): string {
  const images = `${formatCount(preview.images)} ${preview.images === 1 ? 'image' : 'images'}`;
  if (preview.images === 0) return images;
  return `${images} (${formatCount(preview.dicom)} DICOM, ${formatCount(preview.notDicom)} other)`;
}

export function burnedInText(count: number): string {
  const n = formatCount(count);
  return count === 1
    ? `${n} image may have patient text burned into the pixels (ultrasound, screen captures, or marked so); it is held back unless you include it.`
    : `${n} images may have patient text burned into the pixels (ultrasound, screen captures, or marked so); they are held back unless you include them.`;
}

/** The date-shift field: empty means no shift; otherwise a whole number of days, 1 to 3650. */
export function parseDateShift(text: string | number): { ok: true; days: number | null } | { ok: false; message: string } {
  const trimmed = String(text).trim();
  if (trimmed === '') return { ok: true, days: null };
  const days = Number(trimmed);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DATE_SHIFT_DAYS) {
    return { ok: false, message: `Days to shift: a whole number from 1 to ${formatCount(MAX_DATE_SHIFT_DAYS)}, or empty for none.` };
  }
  return { ok: true, days };
}

export interface ExportForm {
  handle: string;
  selection: ExportSelection;
  deidentify: boolean;
  dateShiftDays: number | null;
  includeBurnedIn: boolean;
}

/** The `export.start` payload: date shift and burned-in files only with de-identification (else bad_request). */
export function startRequest(form: ExportForm): RequestOf<'export.start'> {
  const request: RequestOf<'export.start'> = { handle: form.handle, selection: form.selection, deidentify: form.deidentify };
  if (form.deidentify && form.dateShiftDays !== null) request.dateShiftDays = form.dateShiftDays;
  if (form.deidentify && form.includeBurnedIn) request.includeBurnedIn = true;
  return request;
}

/**
 * The library's selection as an export selection. Explicit ids go as they are; "select all" goes as
 * `{ all: true }` when nothing narrows the library, else it is resolved to ids page by page (the
 * folder filter and facet filters the grid shows, minus the ids taken out of it).
 */
export async function librarySelection(
  client: SimilaClient,
  selection: Selection,
  scope: { folderId: number | null; filters: SearchFilters | undefined },
): Promise<ExportSelection> {
  if (!selection.all) {
    const ids = [...selection.ids];
    if (ids.length > MAX_EXPORT_IDS) throw new Error(`At most ${formatCount(MAX_EXPORT_IDS)} images can be exported as a selection; export everything instead.`);
    return { imageIds: ids };
  }
  const narrowed = scope.folderId !== null || (scope.filters !== undefined && Object.keys(scope.filters).length > 0);
  if (!narrowed && selection.ids.size === 0) return { all: true };
  const ids: number[] = [];
  for (let offset = 0; ; offset += RESOLVE_PAGE) {
    const page = await client.call('library.page', {
      offset,
      limit: RESOLVE_PAGE,
      folderId: scope.folderId,
      ...(scope.filters ? { filters: scope.filters } : {}),
    });
    for (const item of page.items) if (!selection.ids.has(item.id)) ids.push(item.id);
    if (ids.length > MAX_EXPORT_IDS) throw new Error(`At most ${formatCount(MAX_EXPORT_IDS)} images can be exported as a selection; export everything instead.`);
    if (page.items.length < RESOLVE_PAGE || offset + page.items.length >= page.total) break;
  }
  if (ids.length === 0) throw new Error('Nothing is selected.');
  return { imageIds: ids };
}
