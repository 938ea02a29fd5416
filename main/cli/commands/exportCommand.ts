/**
 * `simila export --out DIR [--deidentify] [--date-shift-days N] [--include-burned-in]
 *  [--all | --from-search ID | --ids 1,2,3] [--json] [--home DIR]`: copies a selection of catalogued
 * images into DIR, optionally de-identified (main/export/). JSON summary on stdout with --json;
 * progress and messages on stderr.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { openServices } from '../../app/services';
import { ExportPathError, exportItems } from '../../export/exporter';
import { SelectionError, selectExportItems, type ExportSelection } from '../../export/exportSelection';

export interface ExportCommandOptions {
  out?: string;
  deidentify?: boolean;
  dateShiftDays?: number;
  includeBurnedIn?: boolean;
  all?: boolean;
  fromSearch?: number;
  ids?: number[];
  json?: boolean;
  home?: string;
}

function fail(message: string): number {
  process.stderr.write(`simila export: ${message}\n`);
  return 2;
}

/** Parses "1,2,3" into ids; throws on anything else. */
export function parseIdList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  const ids = parts.map(Number);
  if (parts.length === 0 || ids.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('expected image ids like 1,2,3');
  return ids;
}

export async function runExportCommand(options: ExportCommandOptions): Promise<number> {
  if (!options.out) return fail('--out DIR is required: the folder to export into.');
  const out = path.resolve(options.out);
  if (existsSync(out) && !statSync(out).isDirectory()) return fail(`${out} is a file, not a folder.`);
  const chosen = [options.all ? 1 : 0, options.fromSearch !== undefined ? 1 : 0, options.ids !== undefined ? 1 : 0].reduce((a, b) => a + b, 0);
  if (chosen !== 1) return fail('choose exactly one selection: --all, --from-search ID or --ids 1,2,3.');
  if (options.dateShiftDays !== undefined && !options.deidentify) return fail('--date-shift-days applies only with --deidentify.');
  if (options.includeBurnedIn && !options.deidentify) return fail('--include-burned-in applies only with --deidentify (verbatim copies include every file).');
  const selection: ExportSelection = options.all ? { all: true } : options.fromSearch !== undefined ? { fromSearch: options.fromSearch } : { ids: options.ids ?? [] };

  const services = openServices({ home: options.home, resumeJobs: false });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let items;
    try {
      items = selectExportItems(services.catalogue, selection);
    } catch (e) {
      if (e instanceof SelectionError) return fail(e.message);
      throw e;
    }
    process.stderr.write(`simila export: ${items.length} image(s) to ${out}${options.deidentify ? ' (de-identified)' : ''}\n`);
    const tty = process.stderr.isTTY === true;
    let lastLine = 0;
    const result = await exportItems(items, out, {
      deidentify: Boolean(options.deidentify),
      ...(options.dateShiftDays !== undefined ? { dateShiftDays: options.dateShiftDays } : {}),
      includeBurnedIn: Boolean(options.includeBurnedIn),
      signal: controller.signal,
      onProgress: (p) => {
        const line = `${p.done}/${p.total} files  ${p.exported} exported  ${p.skipped} skipped`;
        if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else if (p.done === p.total || Date.now() - lastLine > 2000) {
          process.stderr.write(`${line}\n`);
          lastLine = Date.now();
        }
      },
    });
    if (tty) process.stderr.write('\n');
    const reasons: Record<string, number> = {};
    for (const f of result.files) if (f.reason) reasons[f.reason] = (reasons[f.reason] ?? 0) + 1;
    process.stderr.write(
      `simila export: ${result.cancelled ? 'cancelled; ' : ''}${result.exported} exported, ${result.skipped} skipped` +
        `${Object.keys(reasons).length ? ` (${Object.entries(reasons).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}, ` +
        `${result.flaggedBurnedIn} flagged for burned-in text; log: ${result.log}\n`,
    );
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ exported: result.exported, skipped: result.skipped, flagged_burned_in: result.flaggedBurnedIn, out: result.out, csv: result.csv, log: result.log, cancelled: result.cancelled, skipped_by_reason: reasons })}\n`,
      );
    }
    return result.cancelled ? 130 : 0;
  } catch (e) {
    if (e instanceof ExportPathError) return fail(e.message);
    throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await services.close();
  }
}
