/**
 * Series bench (issue 11): a generated archive of DICOM instances in series (default 100,000 in 1,000)
 * imported through the app's own import job; then, at that size, facet counts and a filtered library
 * page (the channels' own handlers) and search grouped by series, each as p50 / p95 over varied
 * requests. Search needs vectors: they are synthetic here (a direction per series plus noise, written
 * to the catalogue as an embedding job would), because search latency does not depend on where the
 * vectors came from and embedding 100,000 images would take the bench's whole budget.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SearchFilters } from '../../shared/rpc/contract';
import { createLibraryHandlers } from '../../main/app/libraryHandlers';
import { openServices } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { facetIndexFor } from '../../main/library/facetIndex';
import { machineInfo } from '../machine';
import { latency, round3, seeded } from '../stats';
import { writeSyntheticArchive } from './syntheticSeries';

export interface SeriesBenchOptions {
  instances: number;
  series: number;
  requests: number;
  dim: number;
  log?: (line: string) => void;
}

const GOALS = { facet_p95_ms: 50, page_p95_ms: 50, grouped_search_p95_ms: 100 };

async function time<T>(run: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

export async function runSeriesBench(options: SeriesBenchOptions) {
  const log = options.log ?? (() => undefined);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-series-bench-'));
  const services = openServices({ home: path.join(work, 'home'), env: {}, shippedModelsRoot: null, progressThrottleMs: 1000 });
  try {
    const generated = await time(() => writeSyntheticArchive(path.join(work, 'archive'), { instances: options.instances, series: options.series }));
    const archive = generated.value;
    log(`wrote ${archive.instances} instances in ${archive.series} series (${archive.studies} studies, ${archive.patients} patients) in ${(generated.ms / 1000).toFixed(1)} s`);

    const imported = await time(async () => {
      const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, archive.root, { root: archive.root });
      return services.jobs.waitFor(jobId);
    });
    const summary = imported.value.summary as { imported?: number; failed?: number } | null;
    log(`imported ${summary?.imported} (failed ${summary?.failed}) in ${(imported.ms / 1000).toFixed(1)} s`);
    const { catalogue } = services;
    const seriesInCatalogue = catalogue.hierarchy.allSeries().length;

    const library = createLibraryHandlers(services);
    const context = { mode: 'browser' } as never;
    const built = await time(() => facetIndexFor(catalogue));
    const index = built.value;
    const facets = index.counts({});
    const random = seeded(5);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
    const values = (field: keyof typeof facets.fields) => facets.fields[field].map((v) => v.value).filter((v) => v !== '');
    const dates = facets.studyDates;
    const randomFilters = (): SearchFilters => {
      const f: SearchFilters = {};
      const r = random();
      if (r < 0.2) return f;
      if (r < 0.8) f.modalities = [pick(values('modality'))];
      if (random() < 0.5) f.bodyParts = [pick(values('bodyPart')), pick(values('bodyPart'))];
      if (random() < 0.3) f.seriesDescriptions = [pick(values('seriesDescription'))];
      if (dates && random() < 0.3) {
        const year = Number(dates.min.slice(0, 4)) + Math.floor(random() * 10);
        f.studyDateFrom = `${year}-01-01`;
        f.studyDateTo = `${year + 3}-12-31`;
      }
      return f;
    };

    const facetMs: number[] = [];
    const pageMs: number[] = [];
    const treeMs: number[] = [];
    for (let i = 0; i < options.requests; i++) {
      const filters = randomFilters();
      facetMs.push((await time(() => library['library.facets']({ filters }, context))).ms);
      const total = (await library['library.page']({ offset: 0, limit: 1, filters }, context)).total;
      const offset = Math.floor(random() * Math.max(1, total - 200));
      pageMs.push((await time(() => library['library.page']({ offset, limit: 200, filters }, context))).ms);
      if (i % 5 === 0) treeMs.push((await time(() => library['library.tree']({ filters }, context))).ms);
    }
    log(`facets, pages and trees timed over ${options.requests} filter sets`);

    // Vectors: one random direction per series plus per-instance noise, normalised; then the HNSW index.
    const model = catalogue.models.register({ name: 'series-bench', stage: 'random', dir: 'series-bench', embeddingDim: options.dim });
    catalogue.models.setActive(model.id);
    const centre = new Map<number, Float32Array>();
    const batch: { imageId: number; vector: Float32Array }[] = [];
    const flush = () => catalogue.transaction(() => catalogue.embeddings.putMany(model.id, batch.splice(0)));
    for (let i = 0; i < index.size; i++) {
      const seriesId = index.seriesOf[i] as number;
      let c = centre.get(seriesId);
      if (!c) centre.set(seriesId, (c = Float32Array.from({ length: options.dim }, () => random() * 2 - 1)));
      const v = c.map((x) => x + (random() - 0.5) * 0.6);
      let norm = 0;
      for (const x of v) norm += x * x;
      batch.push({ imageId: index.ids[i] as number, vector: v.map((x) => x / Math.sqrt(norm)) });
      if (batch.length >= 2000) flush();
    }
    flush();
    const indexBuilt = await time(() => services.engine.index(model));
    // Loaded in the background after start; timed here on its own so the searches measure steady state.
    const vectorsLoaded = await time(() => services.engine.vectorsReady(model));
    log(`HNSW index of ${indexBuilt.value.size} vectors built in ${(indexBuilt.ms / 1000).toFixed(1)} s`);

    const queries = Array.from({ length: options.requests }, () => index.ids[Math.floor(random() * index.size)] as number);
    const plainMs: number[] = [];
    const groupedMs: number[] = [];
    const groupedFilteredMs: number[] = [];
    let duplicates = 0;
    let shortLists = 0;
    for (const id of queries) {
      plainMs.push((await time(() => services.search.byImage(id, 50))).ms);
      const grouped = await time(() => services.search.byImage(id, 50, undefined, { group: 'series', exclude: 'series' }));
      groupedMs.push(grouped.ms);
      const seriesIds = grouped.value.hits.map((h) => h.seriesId);
      if (new Set(seriesIds).size !== seriesIds.length) duplicates++;
      if (grouped.value.hits.length < 50) shortLists++;
      groupedFilteredMs.push((await time(() => services.search.byImage(id, 50, randomFilters(), { group: 'series' }))).ms);
    }
    log(`searches timed over ${queries.length} queries`);

    const result = {
      bench: 'series',
      machine: machineInfo(),
      archive: { instances: archive.instances, series: archive.series, studies: archive.studies, patients: archive.patients, series_in_catalogue: seriesInCatalogue },
      import: {
        seconds: round3(imported.ms / 1000),
        files_per_second: round3(archive.instances / (imported.ms / 1000)),
        imported: summary?.imported ?? null,
        failed: summary?.failed ?? null,
      },
      facet_index_build_ms: round3(built.ms),
      facet_counts: latency(facetMs),
      filtered_page_200: latency(pageMs),
      series_tree: latency(treeMs),
      search_k50_plain: latency(plainMs),
      search_k50_grouped_by_series: { ...latency(groupedMs), lists_with_repeated_series: duplicates, lists_shorter_than_k: shortLists },
      search_k50_grouped_filtered: latency(groupedFilteredMs),
      vectors: { dim: options.dim, synthetic: true, hnsw_build_seconds: round3(indexBuilt.ms / 1000), in_memory_load_seconds: round3(vectorsLoaded.ms / 1000) },
      goals: GOALS,
      met: {
        facet_counts: latency(facetMs).p95_ms <= GOALS.facet_p95_ms,
        filtered_page: latency(pageMs).p95_ms <= GOALS.page_p95_ms,
        grouped_search: latency(groupedMs).p95_ms <= GOALS.grouped_search_p95_ms && latency(groupedFilteredMs).p95_ms <= GOALS.grouped_search_p95_ms,
      },
    };
    return result;
  } finally {
    await services.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}
