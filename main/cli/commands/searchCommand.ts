/**
 * `simila search <file|id>`: a whole number is a catalogue image id, anything else a file to search with.
 * Prints the model, the backend and the k nearest images with their distances (JSON with --json).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SearchFilters } from '../../../shared/rpc/contract';
import { openServices } from '../../app/services';
import { SearchError } from '../../search/searchService';

export interface SearchCommandOptions {
  k: number;
  json?: boolean;
  home?: string;
  folder?: number;
  modality?: string;
  label?: string;
  /** One hit per series (`series`), and leaving out the query's own series or study. */
  group?: 'none' | 'series';
  exclude?: 'none' | 'series' | 'study';
}

export async function runSearchCommand(query: string, options: SearchCommandOptions): Promise<number> {
  const services = openServices({ home: options.home, resumeJobs: false });
  const filters: SearchFilters = { folderId: options.folder ?? null, modality: options.modality ?? null, label: options.label ?? null };
  const grouping = { group: options.group ?? 'none', exclude: options.exclude ?? 'none' } as const;
  const fail = (code: string, message: string, exit: number) => {
    if (options.json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else process.stderr.write(`simila: ${message}\n`);
    return exit;
  };
  try {
    let response;
    try {
      if (/^\d+$/.test(query)) {
        response = await services.search.byImage(Number(query), options.k, filters, grouping);
      } else {
        const file = path.resolve(query);
        let bytes: Buffer;
        try {
          bytes = await fs.readFile(file);
        } catch (error) {
          return fail('not_found', `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, 2);
        }
        response = await services.search.byBytes(path.basename(file), bytes, options.k, filters, grouping);
      }
    } catch (error) {
      if (error instanceof SearchError) return fail(error.code, error.message, error.code === 'unsupported' ? 3 : 2);
      throw error;
    }
    const results = response.hits.map((hit) => ({
      id: hit.image.id,
      path: services.catalogue.paths.listForImage(hit.image.id)[0]?.path ?? null,
      distance: Math.round(hit.distance * 1e6) / 1e6,
      series_id: hit.seriesId ?? null,
      ...(hit.seriesHits !== undefined ? { series_hits: hit.seriesHits } : {}),
    }));
    const out = {
      model: { id: response.model.id, name: response.model.name, stage: response.model.stage },
      backend: services.engine.backend,
      query: response.query,
      embedded: response.embedded,
      total: response.total,
      results,
    };
    if (options.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      const partial = response.embedded < response.total ? ` (only ${response.embedded} of ${response.total} images embedded: run \`simila embed\`)` : '';
      process.stdout.write(`model ${out.model.name} (${out.model.stage}) on ${String(out.backend)}${partial}\n`);
      for (const r of results) process.stdout.write(`${r.distance.toFixed(4)}  ${r.id}  ${r.path ?? ''}\n`);
    }
    return 0;
  } finally {
    await services.close();
  }
}
