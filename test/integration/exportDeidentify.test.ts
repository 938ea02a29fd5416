/**
 * De-identified export of the whole DICOM corpus (../shared/data/dicom, read in place): import it with
 * the project's importer, export every imported image with --deidentify (burned-in included), then check
 * each written file with dicom-parser directly: no identifying attribute of the Basic Profile keeps its
 * value, no private attribute remains at any depth, pixel data is byte-identical, UIDs are replaced
 * consistently; the export imports again. Also: burned-in files are skipped unless included, and the CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../main/app/services';
import { BASIC_PROFILE } from '../../main/export/basicProfile';
import { exportItems, type ExportItem, type ExportResult } from '../../main/export/exporter';
import { selectExportItems } from '../../main/export/exportSelection';
import { parseDataSet } from '../../main/ingest/dicom/parse';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { allTags, independentParse, isPrivate, text, valueBytes, type DataSet } from '../export/independentParse';
import { dataRoot, tempDir } from '../ingest/support/fixtures';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.join(dataRoot(), 'dicom');
if (!fs.existsSync(corpus)) throw new Error(`The DICOM corpus is missing at ${corpus}; set SIMILA_DATA to the shared data folder.`);

let work: ReturnType<typeof tempDir>;
let services: Services;
let items: ExportItem[];
let result: ExportResult;
let importedDicom: number;

async function importInto(s: Services, root: string): Promise<Record<string, unknown>> {
  const jobId = s.jobs.enqueue(IMPORT_JOB_KIND, root, { root });
  const finished = await s.jobs.waitFor(jobId);
  expect(finished.state).toBe('done');
  return finished.summary!;
}

function files(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

beforeAll(async () => {
  work = tempDir('export');
  services = openServices({ home: path.join(work.dir, 'home'), env: {}, limits: { timeoutSeconds: 30 } });
  await importInto(services, corpus);
  // Every imported DICOM image (the corpus also holds a few plain JPEGs, which de-identification skips: unit-tested).
  items = selectExportItems(services.catalogue, { all: true }).filter((i) => services.catalogue.images.get(i.imageId)?.format === 'dicom');
  importedDicom = items.length;
  const before = files(work.dir).filter((f) => !f.startsWith(path.join(work.dir, 'home')));
  result = await exportItems(items, path.join(work.dir, 'out'), { deidentify: true, includeBurnedIn: true });
  const after = files(work.dir).filter((f) => !f.startsWith(path.join(work.dir, 'home')));
  // Nothing was written anywhere but the export folder.
  expect(after.filter((f) => !before.includes(f)).every((f) => f.startsWith(path.join(work.dir, 'out') + path.sep))).toBe(true);
});
afterAll(async () => {
  await services?.close();
  work?.cleanup();
});

/** How the importer reads the original (its own view of the file), for the comparison. */
function original(file: string): DataSet {
  const parsed = parseDataSet(new Uint8Array(fs.readFileSync(file)), 1 << 30);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.message}`);
  return parsed.dataSet;
}

const DUMMIES = new Set(['ANONYMOUS', '19000101', '000000', '19000101000000', '000Y', '0']);

describe('de-identified export of the DICOM corpus', () => {
  it('exports every imported image', () => {
    console.log(`export: ${importedDicom} imported images -> ${JSON.stringify({ exported: result.exported, skipped: result.skipped, flagged: result.flaggedBurnedIn })}`);
    const skipped = result.files.filter((f) => f.status === 'skipped').map((f) => `${items[f.index - 1]!.path}: ${f.reason} ${f.message}`);
    expect(skipped).toEqual([]);
    expect(importedDicom).toBeGreaterThan(200);
    expect(result.exported).toBe(importedDicom);
  });

  it('leaves no identifying value, no private attribute, the same pixel bytes, consistent new UIDs', () => {
    const studies = new Map<string, Set<string>>();
    const uidPairs: [string, string][] = [];
    let checkedValues = 0;
    let pixelFiles = 0;
    for (const entry of result.files) {
      const source = items[entry.index - 1]!.path!;
      const written = path.join(result.out, entry.file!);
      const orig = original(source);
      const { dataSet: out, meta } = independentParse(new Uint8Array(fs.readFileSync(written)));
      const where = `${source} -> ${entry.file}`;

      for (const row of BASIC_PROFILE) {
        if (row.repeatingGroup) continue;
        const key = `x${row.tag.toString(16).padStart(8, '0')}`;
        const before = text(orig, key);
        if (!before) continue;
        const now = text(out, key);
        checkedValues++;
        expect(now === '' || now !== before || DUMMIES.has(now), `${where}: ${row.name} keeps "${before}"`).toBe(true);
        if (row.action === 'U' && row.vr === 'UI' && now) uidPairs.push([before, now]);
        if (row.action === 'X') expect(out.elements[key], `${where}: ${row.name} is still present`).toBeUndefined();
      }
      expect(allTags(out).filter(isPrivate), where).toEqual([]);
      expect(text(out, 'x00120062'), where).toBe('YES');
      if (out.elements.x00080018) expect(text(meta, 'x00020003'), where).toBe(text(out, 'x00080018'));
      else expect(text(meta, 'x00020003'), where).toMatch(/^2\.25\.\d+$/); // no SOP Instance UID in the data set: the meta's is replaced

      let pixels = 0;
      for (const tag of ['x7fe00010', 'x7fe00008', 'x7fe00009']) {
        // Pixel Data, Float Pixel Data, Double Float Pixel Data
        const a = valueBytes(orig, tag);
        const b = valueBytes(out, tag);
        expect(Boolean(a), `${where}: ${tag}`).toBe(Boolean(b));
        if (a && b) {
          pixels++;
          expect(Buffer.from(a).equals(Buffer.from(b)), `${where}: ${tag} differs`).toBe(true);
        }
      }
      if (pixels > 0) pixelFiles++;
      const study = text(orig, 'x0020000d');
      if (study) {
        const set = studies.get(study) ?? new Set<string>();
        set.add(text(out, 'x0020000d'));
        studies.set(study, set);
      }
    }
    console.log(`checked ${checkedValues} identifying values, ${pixelFiles} pixel data elements, ${studies.size} studies`);
    expect(pixelFiles).toBe(result.exported);
    // One original UID, one new UID, everywhere in the export; never the old value.
    const map = new Map<string, string>();
    for (const [before, now] of uidPairs) {
      for (const [i, uid] of before.split('\\').entries()) {
        const replaced = now.split('\\')[i]!;
        expect(replaced).toMatch(/^2\.25\.\d+$/);
        expect(replaced).not.toBe(uid);
        if (map.has(uid)) expect(map.get(uid), uid).toBe(replaced);
        map.set(uid, replaced);
      }
    }
    for (const [study, newUids] of studies) expect([...newUids], study).toHaveLength(1);
    const shared = [...studies.entries()].filter(([study]) => result.files.filter((f) => text(original(items[f.index - 1]!.path!), 'x0020000d') === study).length > 1);
    expect(shared.length).toBeGreaterThan(0); // some original study has several files: they share the new Study Instance UID
  });

  it('the export imports again, every file', async () => {
    const again = openServices({ home: path.join(work.dir, 'home2'), env: {}, limits: { timeoutSeconds: 30 } });
    try {
      const summary = await importInto(again, result.out);
      console.log(`re-import: ${JSON.stringify(summary)}`);
      // export.csv and export-log.json are not images; every .dcm imports (identical ones count as duplicates).
      const failures = again.catalogue.failures.listForJob(1, 100).map((f) => path.basename(f.path));
      expect(failures.sort()).toEqual(['export-log.json', 'export.csv']);
      expect(Number(summary.imported) + Number(summary.duplicates)).toBe(result.exported);
      expect(again.catalogue.images.countVisible()).toBe(Number(summary.imported));
    } finally {
      await again.close();
    }
  });

  it('flags burned-in files and skips them unless they are included', async () => {
    const second = await exportItems(items, path.join(work.dir, 'out-no-burned'), { deidentify: true });
    expect(second.flaggedBurnedIn).toBe(result.flaggedBurnedIn);
    expect(second.flaggedBurnedIn).toBeGreaterThan(0);
    expect(second.skipped).toBe(second.flaggedBurnedIn);
    expect(second.exported + second.skipped).toBe(items.length);
    for (const f of second.files.filter((x) => x.status === 'skipped')) {
      expect(f.reason).toBe('burned_in_annotation');
      const orig = original(items[f.index - 1]!.path!);
      const burned = text(orig, 'x00280301').toUpperCase();
      const modality = text(orig, 'x00080060').toUpperCase();
      expect(burned === 'YES' || (burned === '' && ['US', 'SC', 'XC', 'OT', 'ES'].includes(modality)), f.message).toBe(true);
    }
    for (const f of second.files.filter((x) => x.status === 'exported')) expect(f.flaggedBurnedIn).toBe(false);
  });

  it('simila export: JSON summary, and clear errors', () => {
    const home = path.join(work.dir, 'home');
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin/simila.js'), 'export', '--home', home, ...args], { encoding: 'utf8', timeout: 120_000 });
    const ids = items.slice(0, 3).map((i) => i.imageId).join(',');
    const outDir = path.join(work.dir, 'cli-out');
    const ok = cli('--out', outDir, '--ids', ids, '--deidentify', '--include-burned-in', '--date-shift-days', '30', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const json = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ exported: 3, skipped: 0, out: fs.realpathSync(outDir) });
    expect(typeof json.flagged_burned_in).toBe('number');
    expect(fs.existsSync(String(json.csv)) && fs.existsSync(String(json.log))).toBe(true);
    expect(ok.stderr).toMatch(/3 exported/);

    const again = cli('--out', outDir, '--ids', ids, '--json');
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/earlier export/);
    const noOut = cli('--all');
    expect(noOut.status).not.toBe(0);
    expect(noOut.stderr).toMatch(/--out/);
    const aFile = path.join(work.dir, 'a-file');
    fs.writeFileSync(aFile, 'x');
    const fileOut = cli('--out', aFile, '--all');
    expect(fileOut.status).not.toBe(0);
    expect(fileOut.stderr).toMatch(/is a file/);
    const nothing = cli('--out', path.join(work.dir, 'none'), '--ids', '99999999');
    expect(nothing.status).not.toBe(0);
    expect(nothing.stderr).toMatch(/no image 99999999/);
    const noList = cli('--out', path.join(work.dir, 'none'), '--from-search', '4242');
    expect(noList.status).not.toBe(0);
    expect(noList.stderr).toMatch(/no saved result list/);
    expect(fs.existsSync(path.join(work.dir, 'none'))).toBe(false);
  });
});
