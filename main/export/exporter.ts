/**
 * Exports a selection of catalogued images into one folder: verbatim copies, or DICOM files
 * de-identified with the Basic Application Level Confidentiality Profile (deidentify.ts). Writes
 * `export.csv` (one row per exported file) and `export-log.json` (per file: what was changed, or why it
 * was skipped). Nothing is written outside the folder and nothing is overwritten (safeFiles.ts); a
 * file that cannot be read, parsed or safely de-identified is skipped with a reason, never fatal.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { sniffDicom } from '../ingest/dicom/sniff';
import { burnedInCheck, parseDicomFile, summarise, type DicomSummary } from './dicomFile';
import { DEIDENTIFICATION_METHOD, deidentifyParsed, type ChangeCounts } from './deidentify';
import { ExportPathError, TargetExistsError, prepareFolder, sanitiseName, writeNew } from './safeFiles';
import { DateShifter, UidMap } from './uids';

export interface ExportItem {
  imageId: number;
  /** Where the file is; null when the catalogue has no path for the image any more. */
  path: string | null;
  /** Rank in a result list (0 = best), when the selection came from one. */
  rank?: number | null;
  seriesDescription?: string | null;
  /** Target class names the image is labelled with, ';'-separated. */
  className?: string | null;
  distance?: number | null;
  /** The analyst's mark (relevant / not_relevant / unsure). */
  mark?: string | null;
}

export interface ExportProgress {
  done: number;
  total: number;
  exported: number;
  skipped: number;
}

export interface ExportOptions {
  deidentify: boolean;
  /** With deidentify: shift dates by a per-patient offset of up to this many days (either way) instead of removing them. */
  dateShiftDays?: number;
  /** With deidentify: export files flagged for burned-in text as well. */
  includeBurnedIn?: boolean;
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
}

export interface ExportFileLog {
  index: number;
  status: 'exported' | 'skipped';
  /** Name of the written file in the export folder. */
  file?: string;
  /** Only without de-identification. */
  imageId?: number;
  originalPath?: string;
  reason?: string;
  message?: string;
  flaggedBurnedIn: boolean;
  burnedIn?: string;
  transferSyntax?: string;
  changes?: ChangeCounts;
  dateShifted?: boolean;
  /** Something worth knowing about an exported file (e.g. its pixel data was already cut short). */
  note?: string;
}

export interface ExportResult {
  exported: number;
  skipped: number;
  flaggedBurnedIn: number;
  cancelled: boolean;
  out: string;
  csv: string;
  log: string;
  files: ExportFileLog[];
}

export const CSV_NAME = 'export.csv';
export const LOG_NAME = 'export-log.json';
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export { ExportPathError } from './safeFiles';

class Skip extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A CSV field: quoted when needed; text that a spreadsheet would run as a formula is prefixed with '. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function exportName(index: string, item: ExportItem, deidentify: boolean, isDicom: boolean): string {
  // De-identified files get only their number: the original file name may itself identify the patient.
  if (deidentify) return `${index}.dcm`;
  const base = sanitiseName(path.basename(item.path ?? ''), 'image');
  return isDicom && !/\.dcm$/i.test(base) ? `${index}_${base}.dcm` : `${index}_${base}`;
}

export async function exportItems(items: readonly ExportItem[], outDir: string, options: ExportOptions): Promise<ExportResult> {
  if (options.dateShiftDays !== undefined && !options.deidentify) throw new ExportPathError('A date shift applies only with de-identification.');
  const out = await prepareFolder(outDir);
  for (const name of [CSV_NAME, LOG_NAME]) {
    const exists = await fsp.stat(path.join(out, name)).then(
      () => true,
      () => false,
    );
    if (exists) throw new ExportPathError(`${path.join(out, name)} exists: the folder holds an earlier export, which is not overwritten.`);
  }

  const uids = new UidMap();
  const dates = options.deidentify && options.dateShiftDays !== undefined ? new DateShifter(options.dateShiftDays) : null;
  const width = Math.max(4, String(items.length).length);
  const files: ExportFileLog[] = [];
  const rows: string[] = [];
  let exported = 0;
  let skipped = 0;
  let flagged = 0;
  let cancelled = false;

  for (let i = 0; i < items.length; i++) {
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
    const item = items[i]!;
    const index = String(i + 1).padStart(width, '0');
    const entry: ExportFileLog = { index: i + 1, status: 'skipped', flaggedBurnedIn: false };
    if (!options.deidentify) {
      entry.imageId = item.imageId;
      if (item.path) entry.originalPath = item.path;
    }
    try {
      if (!item.path) throw new Skip('no_path', 'The catalogue has no path for this image any more.');
      const st = await fsp.stat(item.path).catch((e: NodeJS.ErrnoException) => {
        throw new Skip(e.code === 'ENOENT' ? 'missing_file' : 'unreadable', `The file cannot be read (${e.code ?? e.message}).`);
      });
      if (!st.isFile()) throw new Skip('not_a_file', 'The path is not a regular file.');
      if (st.size > MAX_FILE_BYTES) throw new Skip('too_large', 'The file is larger than 2 GiB.');
      const bytes = new Uint8Array(
        await fsp.readFile(item.path).catch((e: NodeJS.ErrnoException) => {
          throw new Skip('unreadable', `The file cannot be read (${e.code ?? e.message}).`);
        }),
      );
      const isDicom = sniffDicom(bytes);
      const parsed = isDicom ? parseDicomFile(bytes) : undefined;
      let summary: DicomSummary | undefined;
      if (parsed?.ok) {
        summary = summarise(parsed.file);
        entry.transferSyntax = parsed.file.transferSyntax;
        if (parsed.file.elements.some((e) => e.truncated)) entry.note = 'The pixel data of the original ends early; it is copied as it is.';
        const burned = burnedInCheck(summary);
        entry.burnedIn = burned.why;
        if (burned.flagged) {
          entry.flaggedBurnedIn = true;
          flagged++;
        }
      }
      const name = exportName(index, item, options.deidentify, isDicom);
      let uidsOut = { study: summary?.studyUid ?? '', series: summary?.seriesUid ?? '', sop: summary?.sopUid ?? '' };
      let seriesDescription = item.seriesDescription ?? summary?.seriesDescription ?? '';

      if (options.deidentify) {
        if (!isDicom) {
          throw new Skip(
            'not_dicom',
            'Only DICOM files are de-identified; other images may carry identifying metadata (EXIF, text chunks), so they are not exported with de-identification.',
          );
        }
        if (!parsed!.ok) throw new Skip(parsed!.code, parsed!.message);
        if (entry.flaggedBurnedIn && !options.includeBurnedIn) {
          throw new Skip(
            'burned_in_annotation',
            `The pixels may show identifying text (${entry.burnedIn}); pixel data is never altered, so the file is exported only when burned-in files are included explicitly.`,
          );
        }
        const result = deidentifyParsed(parsed!.file, { uids, dates });
        if (!result.ok) throw new Skip(result.code, result.message);
        await writeNew(out, name, { data: result.bytes });
        entry.changes = result.changes;
        entry.dateShifted = result.dateShiftDays !== null;
        uidsOut = result.uids;
        seriesDescription = ''; // Series Description is removed by the profile
      } else {
        await writeNew(out, name, { source: item.path });
      }
      entry.status = 'exported';
      entry.file = name;
      exported++;
      const row = options.deidentify
        ? [name, uidsOut.study, uidsOut.series, uidsOut.sop, seriesDescription, item.className, item.distance, item.mark, item.rank]
        : [name, item.path, item.imageId, uidsOut.study, uidsOut.series, uidsOut.sop, seriesDescription, item.className, item.distance, item.mark, item.rank];
      rows.push(row.map(csvField).join(','));
    } catch (e) {
      if (e instanceof ExportPathError) throw e;
      const skip =
        e instanceof Skip
          ? e
          : e instanceof TargetExistsError
            ? new Skip('target_exists', e.message)
            : new Skip('export_error', `The file could not be exported: ${e instanceof Error ? e.message : String(e)}`);
      entry.status = 'skipped';
      entry.reason = skip.reason;
      entry.message = skip.message;
      skipped++;
    }
    files.push(entry);
    options.onProgress?.({ done: i + 1, total: items.length, exported, skipped });
  }

  const header = options.deidentify
    ? ['file', 'study_instance_uid', 'series_instance_uid', 'sop_instance_uid', 'series_description', 'class', 'distance', 'mark', 'rank']
    : ['file', 'original_path', 'image_id', 'study_instance_uid', 'series_instance_uid', 'sop_instance_uid', 'series_description', 'class', 'distance', 'mark', 'rank'];
  const csv = await writeNew(out, CSV_NAME, { data: `${[header.join(','), ...rows].join('\r\n')}\r\n` });
  const skippedByReason: Record<string, number> = {};
  for (const f of files) if (f.reason) skippedByReason[f.reason] = (skippedByReason[f.reason] ?? 0) + 1;
  const logDoc = {
    created: new Date().toISOString(),
    options: {
      deidentify: options.deidentify,
      profile: options.deidentify ? 'DICOM PS3.15 Annex E Table E.1-1 Basic Application Level Confidentiality Profile' : null,
      method: options.deidentify ? DEIDENTIFICATION_METHOD : null,
      dateShiftMaxDays: dates ? dates.maxDays : null,
      includeBurnedIn: Boolean(options.includeBurnedIn),
    },
    summary: { selected: items.length, exported, skipped, flaggedBurnedIn: flagged, cancelled, skippedByReason },
    files,
  };
  const log = await writeNew(out, LOG_NAME, { data: `${JSON.stringify(logDoc, null, 2)}\n` });
  return { exported, skipped, flaggedBurnedIn: flagged, cancelled, out, csv, log, files };
}
