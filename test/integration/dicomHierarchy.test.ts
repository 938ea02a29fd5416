/**
 * The patient > study > series tree over ../shared/data/dicom: as many series as distinct
 * SeriesInstanceUIDs among the imported instances (counted here independently, with dicom-parser on the
 * files), every series in instance order, instances without UIDs filed in an unknown series with the
 * reason, and an archive imported before the tree existed gains the same tree from a header re-read job.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet } from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { facetIndexFor } from '../../main/library/facetIndex';
import { HIERARCHY_JOB_KIND } from '../../main/library/hierarchyBackfill';
import { buildSeriesTree } from '../../main/library/seriesTree';
import { dataRoot, tempDir } from '../ingest/support/fixtures';

const corpus = path.join(dataRoot(), 'dicom');
let work: ReturnType<typeof tempDir>;
let services: Services;
const home = () => path.join(work.dir, 'home');

beforeAll(async () => {
  work = tempDir('hierarchy');
  services = openServices({ home: home(), env: {}, limits: { timeoutSeconds: 20 }, shippedModelsRoot: null });
  const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, corpus, { root: corpus });
  expect((await services.jobs.waitFor(jobId)).state).toBe('done');
});
afterAll(async () => {
  await services.close();
  work.cleanup();
});

/** SeriesInstanceUID / InstanceNumber read straight from a file (no Simila code). */
function independentTags(file: string): { series?: string; study?: string; instance?: number } {
  const bytes = new Uint8Array(readFileSync(file));
  // Deflated data sets are inflated with zlib; dicom-parser hands over the position where deflate starts.
  const inflater = (array: Uint8Array, position: number) => {
    const inflated = inflateRawSync(array.subarray(position));
    const out = new Uint8Array(position + inflated.length);
    out.set(array.subarray(0, position));
    out.set(inflated, position);
    return out;
  };
  const attempts: (() => DataSet)[] = [
    () => dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010', inflater } as dicomParser.ParseDicomOptions),
  ];
  // Some files are not what their meta says (or have no meta): read the data set after the meta (or
  // the whole file) as implicit, then explicit little endian.
  const hasMeta = bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  const metaEnd = hasMeta ? 144 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(140, true) : 0;
  for (const syntax of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']) {
    attempts.push(() => dicomParser.parseDicom(bytes.subarray(metaEnd), { untilTag: 'x7fe00010', TransferSyntaxUID: syntax } as dicomParser.ParseDicomOptions));
  }
  let dataSet: DataSet | undefined;
  for (const attempt of attempts) {
    try {
      dataSet = attempt();
    } catch (error) {
      // dicom-parser throws { exception, dataSet } with what it read before the problem.
      dataSet = (error as { dataSet?: DataSet }).dataSet;
    }
    if (dataSet?.elements.x0020000e || dataSet?.elements.x0020000d) break;
  }
  if (!dataSet) return {};
  const ds = dataSet;
  const clean = (tag: string) => ds.string(tag)?.replace(/\0/g, '').trim() || undefined;
  const instance = clean('x00200013');
  return { series: clean('x0020000e'), study: clean('x0020000d'), instance: instance !== undefined && /^[+-]?\d+$/.test(instance) ? Number(instance) : undefined };
}

function treeSummary(s: Services) {
  const patients = buildSeriesTree(facetIndexFor(s.catalogue), {});
  return patients.flatMap((p) => p.studies.flatMap((st) => st.series.map((se) => `${p.label}|${st.key}|${se.seriesUid ?? se.label}|${se.instances}`))).sort();
}

describe('DICOM hierarchy over the corpus', () => {
  it('has one series per distinct SeriesInstanceUID among the imported instances', () => {
    const { catalogue } = services;
    const rows = catalogue.db.prepare("SELECT i.id, (SELECT path FROM image_paths WHERE image_id = i.id ORDER BY id LIMIT 1) AS path FROM images i WHERE format = 'dicom'").all() as { id: number; path: string }[];
    expect(rows.length).toBeGreaterThan(100);
    const distinct = new Set<string>();
    let withoutUids = 0;
    for (const row of rows) {
      const tags = independentTags(row.path);
      if (tags.series && tags.study) distinct.add(tags.series);
      else withoutUids++;
    }
    const series = catalogue.hierarchy.allSeries();
    const dicomSeries = series.filter((s) => s.kind === 'dicom' || s.seriesKey.startsWith('conflict:'));
    expect(new Set(dicomSeries.map((s) => s.seriesKey.replace(/^conflict:/, ''))).size).toBe(distinct.size);
    // Instances without UIDs are filed (never dropped) in an unknown series that says why.
    const unknown = series.filter((s) => s.seriesKey.startsWith('unknown-series:'));
    const unknownInstances = unknown.reduce((n, s) => n + catalogue.hierarchy.instances(s.id).length, 0);
    expect(unknownInstances).toBe(withoutUids);
    for (const s of unknown) expect(s.note).toMatch(/no (Study|Series)InstanceUID/);
    const filed = catalogue.db.prepare("SELECT COUNT(*) AS n FROM image_hierarchy h JOIN images i ON i.id = h.image_id WHERE i.format = 'dicom'").get() as { n: number };
    expect(filed.n).toBe(rows.length);
  });

  it('opens every series in instance order', () => {
    const index = facetIndexFor(services.catalogue);
    let multi = 0;
    for (const s of services.catalogue.hierarchy.allSeries()) {
      const ids = index.seriesImageIds(s.id);
      const numbers = ids.map((id) => services.catalogue.hierarchy.instance(id)?.instanceNumber).filter((n): n is number => n !== null && n !== undefined);
      if (ids.length > 1) multi++;
      for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThanOrEqual(numbers[i - 1] as number);
      // Cross-check the order against the files' own InstanceNumber.
      const fromFiles = ids.map((id) => independentTags(services.catalogue.paths.listForImage(id)[0]?.path as string).instance);
      expect(fromFiles.filter((n) => n !== undefined)).toEqual(numbers);
    }
    expect(multi).toBeGreaterThan(3);
  });

  it('gives an archive imported before the tree the same tree from a header re-read job', async () => {
    const before = treeSummary(services);
    const { db } = services.catalogue;
    await services.close();
    // Back to what a pre-008 archive looks like: no filing, none of the new header facts in meta.
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path.join(home(), 'catalogue.sqlite'));
    raw.exec("DELETE FROM image_hierarchy; DELETE FROM series; UPDATE images SET meta = json_remove(meta, '$.study_date', '$.series_description', '$.instance_number', '$.slice_position', '$.series_number', '$.study_description')");
    raw.close();
    expect(db.open).toBe(false);
    services = openServices({ home: home(), env: {}, resumeJobs: true, shippedModelsRoot: null });
    const job = services.jobs.list(20).find((j) => j.kind === HIERARCHY_JOB_KIND);
    expect(job).toBeDefined();
    const finished = await services.jobs.waitFor(job!.jobId);
    expect(finished.state).toBe('done');
    expect(services.catalogue.hierarchy.countUnfiled()).toBe(0);
    const after = treeSummary(services).map((line) => line.replace(/^Patient [0-9a-f]{8}/, 'Patient'));
    expect(after).toEqual(before.map((line) => line.replace(/^Patient [0-9a-f]{8}/, 'Patient')));
  });
});
