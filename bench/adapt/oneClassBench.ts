/**
 * One-class adaptation as an analyst uses the wizard: an archive of several labelled classes (default the
 * six MedNIST classes x 12 images, as the E2E fixture), and for each class in turn one query image and the
 * next `shots` images as support shots of a new class, adapted with the wizard's defaults (the parent model's
 * own settings), the profile activated and the archive re-embedded. Reported per class: how many of the
 * query's top 10 (itself left out) are of its class with the base model and with the adapted profile.
 *
 *   simila bench one-class --json [--data DIR] [--per-class 12] [--shots 5]
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdaptJobSummary } from '../../main/adaptation/adaptJob';
import { createAdaptationServiceFor, openServices } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { machineInfo } from '../machine';

export interface OneClassBenchOptions {
  dataDir: string;
  packageRoot: string;
  perClass?: number;
  shots?: number;
  /** Settings sent with each run (default none: the parent model's own, as the wizard starts). */
  settings?: Record<string, unknown>;
}

const TOP = 10;

export async function runOneClassBench(options: OneClassBenchOptions): Promise<Record<string, unknown>> {
  const perClass = options.perClass ?? 12;
  const shots = options.shots ?? 5;
  if (perClass < shots + 2) throw new Error(`--per-class must leave room for a query and other images besides ${shots} shots`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'simila-one-class-bench-'));
  const archive = path.join(work, 'archive');
  const classes = readdirSync(options.dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const name of classes) {
    const files = readdirSync(path.join(options.dataDir, name)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, perClass);
    mkdirSync(path.join(archive, name), { recursive: true });
    files.forEach((file, i) => copyFileSync(path.join(options.dataDir, name, file), path.join(archive, name, `${name}-${String(i).padStart(2, '0')}${path.extname(file)}`)));
  }
  const started = performance.now();
  const services = openServices({ home: path.join(work, 'home'), env: {}, decodeInProcess: true, shippedModelsRoot: options.packageRoot, progressThrottleMs: 1000, autoEmbed: false });
  try {
    const base = await services.engine.activeModel();
    if (!base) throw new Error('no shipped model to adapt');
    const imported = await services.jobs.waitFor(services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive }));
    if (imported.state !== 'done') throw new Error(`import ended ${imported.state}`);
    const embedding = await services.startEmbedding(base.id);
    if (embedding !== null) await services.jobs.waitFor(embedding);
    const { catalogue } = services;
    const adaptation = createAdaptationServiceFor(services);
    const folders = catalogue.folders.listWithCounts();
    const ofClassInTop = async (query: number, name: string) => {
      const response = await services.search.byImage(query, TOP + 1);
      return response.hits.filter((h) => h.image.id !== query).slice(0, TOP).filter((h) => h.image.name.startsWith(`${name}-`)).length;
    };
    const results: { class: string; before: number; after: number; steps: number; held_out_map_at_r_before: number | null; held_out_map_at_r_after: number | null }[] = [];
    for (const name of classes) {
      const folder = folders.find((f) => f.path === path.join(archive, name));
      if (!folder) throw new Error(`${name} was not imported`);
      const ids = catalogue.images.page(0, perClass, folder.id).sort((a, b) => (a.path < b.path ? -1 : 1)).map((i) => i.id);
      catalogue.models.setActive(base.id);
      const before = await ofClassInTop(ids[0]!, name);
      const cls = adaptation.createClass(name);
      adaptation.addImages(cls.id, ids.slice(1, 1 + shots), 'support');
      const finished = await services.jobs.waitFor(await adaptation.start([cls.id], `${name} profile`, options.settings ?? {}));
      if (finished.state !== 'done') throw new Error(`adapting to ${name} ended ${finished.state}: ${finished.error}`);
      const summary = finished.summary as unknown as AdaptJobSummary;
      if (summary.modelId === null) throw new Error(`adapting to ${name} made no profile`);
      const activated = await adaptation.activate(summary.modelId);
      if (activated.jobId !== null) await services.jobs.waitFor(activated.jobId);
      const after = await ofClassInTop(ids[0]!, name);
      results.push({ class: name, before, after, steps: summary.steps, held_out_map_at_r_before: summary.before?.mapAtR ?? null, held_out_map_at_r_after: summary.after?.mapAtR ?? null });
    }
    const sum = (key: 'before' | 'after') => results.reduce((s, r) => s + r[key], 0);
    return {
      bench: 'one-class',
      model: base.name,
      backend: services.engine.backend,
      data: options.dataDir,
      classes: classes.length,
      per_class: perClass,
      shots,
      settings: options.settings ?? "the parent model's own",
      top: TOP,
      results,
      total_before: sum('before'),
      total_after: sum('after'),
      total_possible: classes.length * TOP,
      classes_worse: results.filter((r) => r.after < r.before).length,
      duration_s: Math.round((performance.now() - started) / 100) / 10,
      machine: machineInfo(),
    };
  } finally {
    await services.close();
    rmSync(work, { recursive: true, force: true });
  }
}
