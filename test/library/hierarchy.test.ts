import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { placeImage } from '../../main/catalogue/hierarchyPlacement';
import type { ImageMeta } from '../../main/catalogue/repositories/images';
import { HnswIndex } from '../../main/index/hnswIndex';
import { catalogueVectorSource } from '../../main/index/modelIndex';
import { VectorTable } from '../../main/index/vectorTable';
import { facetIndexFor, facetIndexSettled } from '../../main/library/facetIndex';
import { buildSeriesTree } from '../../main/library/seriesTree';
import type { SearchEngine } from '../../main/search/searchEngine';
import { createSearchService, meanDirection } from '../../main/search/searchService';
import { tempDir } from '../ingest/support/fixtures';

const temps: { cleanup(): void }[] = [];
const open: Catalogue[] = [];
afterEach(() => {
  open.splice(0).forEach((c) => c.close());
  temps.splice(0).forEach((t) => t.cleanup());
});

function newCatalogue(): Catalogue {
  const t = tempDir('hierarchy');
  temps.push(t);
  const catalogue = openCatalogue(path.join(t.dir, 'catalogue.sqlite'));
  open.push(catalogue);
  return catalogue;
}

let counter = 0;
/** Catalogues one image the way the importer does (insert, path, filing in one transaction). */
function addImage(catalogue: Catalogue, file: string, meta: ImageMeta, format = 'dicom'): number {
  const folder = path.dirname(file);
  const folderId = catalogue.folders.ensure(folder);
  const placement = placeImage(meta, format, { id: folderId, path: folder });
  return catalogue.transaction(() => {
    const id = catalogue.images.insert({ hash: `h${++counter}`, width: 8, height: 8, format, byteSize: 10, meta });
    catalogue.paths.upsert({ path: file, imageId: id, folderId, size: 10, mtimeMs: 1, seenByJob: null });
    catalogue.hierarchy.file(id, placement);
    return id;
  });
}

const ct = (study: string, series: string, instance: number, extra: ImageMeta = {}): ImageMeta => ({
  modality: 'CT',
  body_part: 'HEAD',
  study_uid: study,
  series_uid: series,
  instance_uid: `${series}.${instance}`,
  instance_number: instance,
  study_date: '2020-03-01',
  series_description: 'AX BRAIN',
  patient_digest: 'digest-of-patient-1',
  frames: 1,
  ...extra,
});

describe('patient > study > series filing', () => {
  it('groups instances by their UIDs and orders a series by instance number', () => {
    const catalogue = newCatalogue();
    const ids = [3, 1, 2].map((n) => addImage(catalogue, `/a/s1/${n}.dcm`, ct('1.2.1', '1.2.1.1', n)));
    addImage(catalogue, '/a/s2/1.dcm', ct('1.2.1', '1.2.1.2', 1, { modality: 'MR', series_description: 'T1' }));
    addImage(catalogue, '/b/x.png', {}, 'png');
    const index = facetIndexFor(catalogue);
    const tree = buildSeriesTree(index, {});
    const patient = tree.find((p) => p.label.startsWith('Patient'));
    expect(patient?.studies).toHaveLength(1);
    expect(patient?.studies[0]?.series.map((s) => s.instances)).toEqual([3, 1]);
    const seriesId = catalogue.hierarchy.instance(ids[0] as number)?.seriesId as number;
    // Instance numbers 1, 2, 3 were imported as 3, 1, 2.
    expect(index.seriesImageIds(seriesId)).toEqual([ids[1], ids[2], ids[0]]);
    expect(tree.find((p) => p.label === 'Image folders')?.studies[0]?.series[0]?.kind).toBe('folder');
  });

  it('never stores Patient ID or its plain digest: the key is keyed by a per-catalogue secret', () => {
    const a = newCatalogue();
    const b = newCatalogue();
    addImage(a, '/a/1.dcm', ct('1.9', '1.9.1', 1));
    addImage(b, '/a/1.dcm', ct('1.9', '1.9.1', 1));
    const keyA = a.hierarchy.allSeries()[0]?.patientKey;
    const keyB = b.hierarchy.allSeries()[0]?.patientKey;
    expect(keyA).toMatch(/^[0-9a-f]{16}$/);
    expect(keyA).not.toBe(keyB);
    expect(JSON.stringify(a.db.prepare('SELECT * FROM series').all())).not.toContain('digest-of-patient-1');
  });

  it('files instances without UIDs, or with conflicting ones, in named unknown buckets with the reason', () => {
    const catalogue = newCatalogue();
    const noSeries = addImage(catalogue, '/a/1.dcm', ct('1.3', '', 1, { series_uid: null }));
    const noStudy = addImage(catalogue, '/a/2.dcm', ct('', '', 1, { study_uid: null, series_uid: null }));
    addImage(catalogue, '/a/3.dcm', ct('1.4', '1.4.1', 1));
    const conflicting = addImage(catalogue, '/a/4.dcm', ct('1.5', '1.4.1', 2)); // same series UID, other study
    const otherPatient = addImage(catalogue, '/a/5.dcm', ct('1.4', '1.4.9', 1, { patient_digest: 'someone-else' }));
    const series = (id: number) => catalogue.hierarchy.series(catalogue.hierarchy.instance(id)?.seriesId as number);
    expect(series(noSeries)).toMatchObject({ kind: 'unknown', studyKey: '1.3' });
    expect(series(noSeries)?.note).toMatch(/SeriesInstanceUID/);
    expect(series(noStudy)).toMatchObject({ kind: 'unknown', studyKey: 'unknown-study' });
    expect(series(conflicting)).toMatchObject({ kind: 'unknown', seriesKey: 'conflict:1.4.1' });
    expect(catalogue.hierarchy.instance(conflicting)?.note).toMatch(/already filed under study 1.4/);
    expect(series(otherPatient)?.note).toMatch(/another patient/);
    // Nothing is dropped: every image is in some series.
    const tree = buildSeriesTree(facetIndexFor(catalogue), {});
    expect(tree.reduce((n, p) => n + p.instances, 0)).toBe(5);
  });
});

describe('facet index', () => {
  function archive() {
    const catalogue = newCatalogue();
    for (let i = 1; i <= 4; i++) addImage(catalogue, `/a/ct/${i}.dcm`, ct('1.1', '1.1.1', i));
    for (let i = 1; i <= 3; i++) addImage(catalogue, `/a/mr/${i}.dcm`, ct('1.1', '1.1.2', i, { modality: 'MR', body_part: 'HEAD', study_date: '2021-06-01', series_description: 'T2' }));
    for (let i = 1; i <= 2; i++) addImage(catalogue, `/a/cr/${i}.dcm`, ct('1.2', '1.2.1', i, { modality: 'CR', body_part: 'CHEST', study_date: '2019-01-01', series_description: 'PA' }));
    addImage(catalogue, '/b/photo.jpg', {}, 'jpeg');
    return catalogue;
  }
  const countOf = (values: { value: string; count: number }[], value: string) => values.find((v) => v.value === value)?.count ?? 0;

  it('counts each field under every other field filter, so a second value widens', () => {
    const index = facetIndexFor(archive());
    const all = index.counts({});
    expect(all.matching).toBe(10);
    expect(countOf(all.fields.modality, 'CT')).toBe(4);
    expect(countOf(all.fields.modality, '')).toBe(1); // the photograph has no modality
    const ct = index.counts({ modality: ['ct'] });
    expect(ct.matching).toBe(4);
    expect(countOf(ct.fields.modality, 'MR')).toBe(3); // still offered at its full count
    expect(countOf(ct.fields.bodyPart, 'CHEST')).toBe(0);
    expect(countOf(ct.fields.seriesDescription, 'AX BRAIN')).toBe(4);
    const head = index.counts({ bodyPart: ['HEAD'], modality: ['CT', 'MR'] });
    expect(head.matching).toBe(7);
    expect(countOf(head.fields.bodyPart, 'CHEST')).toBe(0); // CR is filtered out by modality
  });

  it('filters by study date range and by series, and finds each series middle instance', () => {
    const catalogue = archive();
    const index = facetIndexFor(catalogue);
    expect(index.matchingIds({ studyDateFrom: '2020-01-01' }).length).toBe(7);
    expect(index.matchingIds({ studyDateFrom: '2020-01-01', studyDateTo: '2020-12-31' }).length).toBe(4);
    expect(index.counts({}).studyDates).toEqual({ min: '2019-01-01', max: '2021-06-01' });
    const mrSeries = catalogue.hierarchy.seriesByKey('1.1.2')?.id as number;
    expect(index.matchingIds({ seriesId: mrSeries }).length).toBe(3);
    const summaries = index.seriesSummaries({});
    const mrIds = index.seriesImageIds(mrSeries);
    expect(summaries.get(mrSeries)).toEqual({ instances: 3, middleImageId: mrIds[1] });
  });

  it('is rebuilt when the catalogue changes', () => {
    const catalogue = archive();
    expect(facetIndexFor(catalogue).size).toBe(10);
    addImage(catalogue, '/a/ct/5.dcm', ct('1.1', '1.1.1', 5));
    expect(facetIndexFor(catalogue).size).toBe(11);
    catalogue.paths.remove('/b/photo.jpg');
    expect(facetIndexFor(catalogue).counts({ format: ['jpeg'] }).matching).toBe(0);
  });
});

describe('search grouped by series', () => {
  /** Two series near the query (4 and 3 slices), one far; vectors in 4-D. */
  function setUp() {
    const catalogue = newCatalogue();
    const index = HnswIndex.create(4);
    const vectors = new Map<number, Float32Array>();
    const add = (file: string, meta: ImageMeta, v: number[]) => {
      const id = addImage(catalogue, file, meta);
      vectors.set(id, Float32Array.from(v));
      index.add([id], Float32Array.from(v));
      return id;
    };
    const query = add('/q/1.dcm', ct('9.1', '9.1.1', 1), [1, 0, 0, 0]);
    add('/q/2.dcm', ct('9.1', '9.1.1', 2), [1, 0.01, 0, 0]);
    const nearA = [1, 2, 3, 4].map((i) => add(`/a/${i}.dcm`, ct('9.2', '9.2.1', i), [1, 0.05 * i, 0, 0]));
    const nearB = [1, 2, 3].map((i) => add(`/b/${i}.dcm`, ct('9.1', '9.1.2', i), [1, 0.06 * i + 0.02, 0.01, 0]));
    add('/c/1.dcm', ct('9.3', '9.3.1', 1), [0, 0, 1, 0]);
    const model = catalogue.models.register({ name: 'test', stage: 'random', dir: 'm', embeddingDim: 4 });
    const engine = {
      activeModel: async () => model,
      index: async () => index,
      manifestOf: () => ({ preprocess: {} }),
      vectors: () => {
        const table = new VectorTable(4);
        table.sync(catalogueVectorSource(catalogue, model.id)!);
        return table;
      },
    } as unknown as SearchEngine;
    const put = catalogue.embeddings.putMany(model.id, [...vectors].map(([imageId, vector]) => ({ imageId, vector })));
    expect(put).toBeTruthy();
    return { catalogue, service: createSearchService(catalogue, engine), query, nearA, nearB };
  }

  it('returns at most one hit per series with the series hit count, and can leave out the own series or study', async () => {
    const { catalogue, service, query, nearA } = setUp();
    const flat = await service.byImage(query, 5);
    const seriesOf = (id: number) => catalogue.hierarchy.instance(id)?.seriesId;
    expect(new Set(flat.hits.map((h) => seriesOf(h.image.id))).size).toBeLessThan(flat.hits.length);

    const grouped = await service.byImage(query, 5, undefined, { group: 'series' });
    const groupedSeries = grouped.hits.map((h) => h.seriesId);
    expect(new Set(groupedSeries).size).toBe(groupedSeries.length);
    expect(grouped.hits).toHaveLength(4); // own series (its other slice), A, B, the far one
    expect(grouped.hits.find((h) => h.seriesId === seriesOf(nearA[0] as number))?.seriesHits).toBe(4);

    const noOwn = await service.byImage(query, 5, undefined, { group: 'series', exclude: 'series' });
    expect(noOwn.hits.map((h) => h.seriesId)).not.toContain(seriesOf(query));
    const noStudy = await service.byImage(query, 5, undefined, { group: 'series', exclude: 'study' });
    const studies = noStudy.hits.map((h) => catalogue.hierarchy.series(h.seriesId as number)?.studyKey);
    expect(studies).not.toContain('9.1');
    expect(noStudy.hits).toHaveLength(2);
  });

  it('searches with a whole series as the query (mean direction of its slices)', async () => {
    const { catalogue, service, nearA } = setUp();
    const seriesA = catalogue.hierarchy.instance(nearA[0] as number)?.seriesId as number;
    const { response, vector } = await service.bySeries(seriesA, 3, undefined, { group: 'series', exclude: 'series' });
    expect(response.query.seriesId).toBe(seriesA);
    expect(response.hits.map((h) => h.seriesId)).not.toContain(seriesA);
    let norm = 0;
    for (const x of vector) norm += x * x;
    expect(norm).toBeCloseTo(1, 5);
    expect(meanDirection([Float32Array.from([2, 0]), Float32Array.from([0, 3])])).toEqual(Float32Array.from([Math.SQRT1_2, Math.SQRT1_2]));
  });
});

describe('filtered search over the in-memory vectors', () => {
  it('ranks a filtered subset exactly, grouped or not', async () => {
    const catalogue = newCatalogue();
    const model = catalogue.models.register({ name: 't', stage: 'random', dir: 't', embeddingDim: 3 });
    const index = HnswIndex.create(3);
    const rows: [number, number[]][] = [];
    for (let i = 0; i < 30; i++) {
      // Modality is a series attribute: series 5.1.0 and 5.1.1 are CT, 5.1.2 and 5.1.3 MR.
      const id = addImage(catalogue, `/s/${i}.dcm`, ct('5.1', `5.1.${i % 4}`, i, { modality: i % 4 >= 2 ? 'MR' : 'CT' }));
      const v = [Math.cos(i / 5), Math.sin(i / 5), 0.1];
      rows.push([id, v]);
      index.add([id], Float32Array.from(v));
    }
    catalogue.embeddings.putMany(model.id, rows.map(([imageId, v]) => ({ imageId, vector: Float32Array.from(v) })));
    const { createSearchEngine } = await import('../../main/search/searchEngine');
    const real = createSearchEngine({ catalogue, registry: {} as never, modelsDir: '/nonexistent', indexesDir: '/nonexistent', packageRoot: null });
    expect(real.vectors(model)).toBeNull(); // the first load runs in the background
    await real.vectorsReady(model);
    const engine = { activeModel: async () => model, index: async () => index, manifestOf: () => ({ preprocess: {} }), vectors: (m: typeof model) => real.vectors(m) } as unknown as SearchEngine;
    const service = createSearchService(catalogue, engine);
    const query = rows[0]![0];
    const mr = await service.byImage(query, 5, { modalities: ['MR'] });
    // Expected independently: MR images (odd i) by distance of their direction to the query's.
    const isMr = (i: number) => i % 4 >= 2;
    const expected = rows.filter((_, i) => isMr(i)).map(([id, v]) => ({ id, d: Math.hypot(v[0]! - 1, v[1]!) })).sort((a, b) => a.d - b.d).slice(0, 5).map((e) => e.id);
    expect(mr.hits.map((h) => h.image.id)).toEqual(expected);
    const grouped = await service.byImage(query, 5, { modalities: ['MR'] }, { group: 'series' });
    expect(grouped.hits).toHaveLength(2); // two series hold the MR slices
    expect(grouped.hits.reduce((n, h) => n + (h.seriesHits ?? 0), 0)).toBe(rows.filter((_, i) => isMr(i)).length);
    await real.close();
  });
});

describe('facet index of a large archive', () => {
  it('is rebuilt in the background, in slices, while the old index answers; then the new one does', async () => {
    const catalogue = newCatalogue();
    catalogue.transaction(() => {
      for (let i = 0; i < 25_000; i++) addImage(catalogue, `/big/${i}.png`, {}, 'png');
    });
    expect(facetIndexFor(catalogue).size).toBe(25_000); // the first build: on the spot
    addImage(catalogue, '/big/new.dcm', ct('9.9', '9.9.1', 1));
    // Past the limit (0 ms here): the stale index answers at once, the rebuild runs in slices.
    const stale = facetIndexFor(catalogue, { spotBuildMs: 0 });
    expect(stale.size).toBe(25_000);
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    await facetIndexSettled(catalogue);
    clearInterval(ticking);
    expect(turns).toBeGreaterThan(1); // the event loop ran between the slices
    const fresh = facetIndexFor(catalogue, { spotBuildMs: 0 });
    expect(fresh).not.toBe(stale);
    expect(fresh.size).toBe(25_001);
    expect(fresh.counts({ modality: ['CT'] }).matching).toBe(1);
    // The same as an index built at once.
    expect(Array.from(fresh.ids)).toEqual(Array.from(facetIndexFor(catalogue, { fresh: true }).ids));
  });
});

