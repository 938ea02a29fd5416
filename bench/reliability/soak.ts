/**
 * The `soak` section of `simila bench reliability` (issue 12, item 5): a generated catalogue (default
 * 1,000,000 images, 64-d vectors of a registered model, some images under two paths, judgements on a
 * share of queries), written straight into SQLite in batches with its HNSW index built and saved
 * beforehand, then `minutes` of mixed load through the real server's WebSocket RPC on loopback: library
 * pages, search by an archive image, judgements and re-rank, a small import every few minutes, and one
 * adaptation (a class of uploaded images, few-shot adaptation, activation) with its re-embedding of the
 * whole archive from cached trunk rows (generated with the catalogue, as an earlier embedding leaves them).
 * Bounded: `concurrency` clients, each waiting for its answer before the next request. The server's RSS
 * is sampled every 10 s (from /proc, no GC forced); p50/p99 per request kind per window (5 minutes, or 1
 * minute when the soak is shorter than 10). Reports the RSS growth between minute 5 (or the end of the
 * first window) and the end, and whether p99 of search <= 100 ms and of a library page <= 50 ms in every
 * window.
 */
import { seeded } from '../stats';
import { fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { encodeVector } from '../../main/catalogue/repositories/vectorBlob';
import { prepareHome } from '../../main/home/dataHome';
import { buildIndex } from '../../main/index/buildIndex';
import { DEFAULT_HNSW_PARAMS } from '../../main/index/hnswIndex';
import { catalogueVectorSource, saveModelIndex } from '../../main/index/modelIndex';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { registerModelPackage } from '../../main/ml/package/registerModel';
import { trunkShape } from '../../main/adaptation/trunkFeatureStore';
import { trunkSpecOf } from '../../main/adaptation/trunkKey';
import { writeSyntheticArchive } from '../ingest/syntheticArchive';
import type { ReliabilitySection } from './reliabilityBench';
import { listFiles } from '../support/listFiles';

const SERVER_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serverChild.ts');

export interface SoakOptions {
  images: number;
  minutes: number;
  seed: number;
  workDir: string;
  packageRoot: string;
  /** Clients sending requests at once (default 4). */
  concurrency?: number;
  /** Window length in minutes (default 5, or 1 when the soak is shorter than 10 minutes). */
  windowMinutes?: number;
  /** RSS sample period (default 10 s). */
  rssEveryMs?: number;
  /** When the adaptation starts, minutes into the load (default: a third of the way, at least 1). */
  adaptAtMinute?: number;
  /** Profile the server's CPU into this folder (a .cpuprofile per thread, written when it stops). */
  cpuProfileDir?: string;
  log?: (line: string) => void;
}

export type RequestKind = 'library.page' | 'search.byImage' | 'feedback.judge' | 'feedback.rerank' | 'import' | 'classes.addUpload' | 'adapt' | 'reembed';

/** The soak's adaptation: how long each step took under the load, and how far the re-embedding got. */
export interface SoakAdaptation {
  started_at_s: number | null;
  upload_seconds: number | null;
  adapt_seconds: number | null;
  reembed_seconds: number | null;
  reembedded: number | null;
  state: 'not_started' | 'done' | 'failed' | 'unfinished';
  message: string | null;
}

export interface WindowStats {
  window: number;
  fromMinute: number;
  kinds: Record<string, { count: number; errors: number; p50_ms: number | null; p99_ms: number | null }>;
  /** The server's event-loop delay (what every request waits apart from its own work): the worst 10-s p99 and the maximum. */
  loop_delay: { p99_ms_worst: number | null; max_ms: number | null };
}

export interface SoakReport {
  images: number;
  dim: number;
  paths: number;
  judgements: number;
  generate_seconds: number;
  index_build_seconds: number;
  minutes: number;
  window_minutes: number;
  concurrency: number;
  requests: number;
  errors: number;
  error_samples: string[];
  imports: number;
  adaptation: SoakAdaptation;
  windows: WindowStats[];
  /** The server's RSS, and the machine's 1-minute load average beside it (other work on the cores shows there). */
  rss_mb: { at_s: number; rss_mb: number; load1: number; loop_p99_ms?: number; loop_max_ms?: number }[];
  rss_baseline_mb: number | null;
  rss_end_mb: number | null;
  rss_growth_pct: number | null;
  search_p99_ok_every_window: boolean;
  page_p99_ok_every_window: boolean;
  server_exited: boolean;
}

const rng = seeded;

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// --- the generated catalogue ---------------------------------------------------------------------

export interface GeneratedHome {
  home: string;
  images: number;
  paths: number;
  judgements: number;
  dim: number;
  modelId: number;
  /** Cached trunk rows (one per image) that a re-embedding after an adaptation reads. */
  trunkRows: number;
  generateSeconds: number;
  indexSeconds: number;
}

/**
 * A data home with `images` catalogued images (no files behind them: the soak never opens them), filed
 * in folder series of 1,000, a 64-d model with a vector and a cached trunk row for each, 5% of images
 * under a second path, and 20 judgements on each of images/2,000 queries.
 */
export async function generateSoakHome(home: string, images: number, seed: number, log: (line: string) => void): Promise<GeneratedHome> {
  const started = performance.now();
  const layout = prepareHome({ home, env: {} });
  const catalogue = openCatalogue(layout.catalogueFile);
  const random = rng(seed);
  const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 64], seed });
  let modelId: number;
  let dim: number;
  let trunk: { key: string; length: number };
  try {
    dim = net.embeddingDim;
    const dir = path.join(layout.models, 'soak-64');
    const manifest = await saveModelPackage(dir, net, {
      name: 'soak-64',
      preprocess: defaultPreprocessSpec(16, 1),
      provenance: { stage: 'random', datasets: [], parent: null, created: new Date().toISOString(), backend: 'bench', trainingSeconds: 0, steps: 0, complete: true },
      metrics: { loss: [], validation: [], final: null },
    });
    const registered = registerModelPackage(catalogue.models, layout.models, dir, manifest);
    if (!registered.ok) throw new Error(registered.message);
    modelId = registered.model.id;
    catalogue.models.setActive(modelId);
    const spec = trunkSpecOf(net, manifest);
    const shape = trunkShape(net, spec.fromStage);
    trunk = { key: spec.key, length: shape[0] * shape[1] * shape[2] };
  } finally {
    net.dispose();
  }
  const db = catalogue.db;
  const now = new Date().toISOString();
  const perFolder = 1000;
  const folderIns = db.prepare('INSERT INTO folders (path) VALUES (?)');
  const seriesIns = db.prepare("INSERT INTO series (series_key, study_key, patient_key, kind, study_description, series_description, folder_id) VALUES (?, ?, ?, 'folder', ?, ?, ?)");
  const imageIns = db.prepare("INSERT INTO images (id, hash, width, height, format, byte_size, added_at, meta) VALUES (?, ?, 512, 512, 'png', 200000, ?, '{}')");
  const pathIns = db.prepare('INSERT INTO image_paths (path, image_id, folder_id, size, mtime_ms) VALUES (?, ?, ?, 200000, 0)');
  const placeIns = db.prepare('INSERT INTO image_hierarchy (image_id, series_id, instance_number) VALUES (?, ?, ?)');
  const vectorIns = db.prepare('INSERT INTO embeddings (model_id, image_id, vector) VALUES (?, ?, ?)');
  let paths = 0;
  const vector = new Float32Array(dim);
  const batch = 20_000;
  for (let start = 1; start <= images; start += batch) {
    const ids: number[] = [];
    db.transaction(() => {
      for (let id = start; id < Math.min(images + 1, start + batch); id++) {
        const f = Math.floor((id - 1) / perFolder);
        const folderPath = `/soak/archive/site-${Math.floor(f / 100)}/series-${f}`;
        if ((id - 1) % perFolder === 0) {
          const folderId = Number(folderIns.run(folderPath).lastInsertRowid);
          seriesIns.run(`folder:${folderId}`, `folder:${path.dirname(folderPath)}`, `folder:${path.dirname(folderPath)}`, path.dirname(folderPath), path.basename(folderPath), folderId);
        }
        const folderId = f + 1;
        imageIns.run(id, id.toString(16).padStart(64, '0'), now);
        pathIns.run(`${folderPath}/img-${id}.png`, id, folderId);
        paths++;
        if (random() < 0.05) {
          pathIns.run(`${folderPath}/copy-of-img-${id}.png`, id, folderId);
          paths++;
        }
        placeIns.run(id, folderId, id - f * perFolder);
        let norm = 0;
        for (let d = 0; d < dim; d++) {
          vector[d] = random() - 0.5;
          norm += vector[d]! * vector[d]!;
        }
        norm = Math.sqrt(norm);
        for (let d = 0; d < dim; d++) vector[d]! /= norm;
        vectorIns.run(modelId, id, encodeVector(vector));
        ids.push(id);
      }
    })();
    // Rectified activations of the frozen stages, as the embedding job caches them for re-embedding.
    const rows = new Float32Array(ids.length * trunk.length);
    for (let i = 0; i < rows.length; i++) rows[i] = Math.max(0, random() * 2 - 0.5);
    catalogue.trunkFeatures.putMany(trunk.key, ids, rows);
    if (start === 1 || ((start - 1) / batch) % 10 === 0) log(`soak: generating images ${start - 1}/${images}...`);
  }
  const queries = Math.max(1, Math.floor(images / 2000));
  const values = ['relevant', 'not_relevant', 'unsure'];
  let judgements = 0;
  db.transaction(() => {
    const judge = db.prepare('INSERT OR REPLACE INTO feedback_judgements (query_key, model_id, image_id, judgement, updated_at) VALUES (?, ?, ?, ?, ?)');
    for (let q = 0; q < queries; q++) {
      const query = 1 + Math.floor(random() * images);
      for (let j = 0; j < 20; j++) {
        judge.run(`image:${query}`, modelId, 1 + Math.floor(random() * images), values[Math.floor(random() * 3)], now);
        judgements++;
      }
    }
  })();
  const generateSeconds = (performance.now() - started) / 1000;
  log(`soak: ${images} images generated in ${generateSeconds.toFixed(1)} s; building the HNSW index...`);
  const indexStarted = performance.now();
  const source = catalogueVectorSource(catalogue, modelId)!;
  const revision = source.revision();
  const index = await buildIndex(source, DEFAULT_HNSW_PARAMS);
  await saveModelIndex({ dir: layout.indexes, modelId }, index, revision);
  const indexSeconds = (performance.now() - indexStarted) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  catalogue.close();
  return { home: layout.root, images, paths, judgements, dim, modelId, trunkRows: images, generateSeconds, indexSeconds };
}

// --- the server and its clients ------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  port: number;
  token: string;
  exited: () => boolean;
  stop(): Promise<void>;
}

/** The real app behind the real browser server (serverChild.ts) on <workDir>/home, in its own process. */
async function startServer(workDir: string, packageRoot: string, cpuProfileDir?: string): Promise<Server> {
  // Sampled every 1 ms: fine enough to place the 50-100 ms blocks the page goal cares about.
  const profiling = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, '--cpu-prof-interval=1000'] : [];
  const child = fork(SERVER_CHILD, [], {
    cwd: packageRoot,
    execArgv: ['--import', 'tsx', '--expose-gc', ...profiling],
    env: { ...process.env, SIMILA_RELIABILITY_DIR: workDir },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  let exited = false;
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.on('exit', () => (exited = true));
  const ready = await new Promise<{ port: number; token: string }>((resolve, reject) => {
    child.on('message', (m: { ready?: { port: number; token: string } }) => m.ready && resolve(m.ready));
    child.once('exit', (code) => reject(new Error(`the soak server exited (${code}) before it was ready: ${stderr}`)));
  });
  return {
    child,
    ...ready,
    exited: () => exited,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send('stop');
      }),
  };
}

/** One answer of the server child over the fork channel: the message's `key` field, or null after `timeoutMs`. */
function askChild<T>(child: ChildProcess, request: string, key: string, timeoutMs = 5000): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      resolve(null);
    }, timeoutMs);
    const onMessage = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m[key] as T);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

/** RSS of a process in bytes: /proc where there is one, else the child's own report (after a GC). */
async function rssOf(child: ChildProcess): Promise<number | null> {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux: ask the child
  }
  return (await askChild<{ rss: number }>(child, 'memory', 'memory'))?.rss ?? null;
}

interface RpcClient {
  call(channel: string, payload: unknown): Promise<{ ok: boolean; value?: any; code?: string; message?: string }>;
  close(): void;
}

function connect(port: number, token: string): Promise<RpcClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    const pending = new Map<number, (result: any) => void>();
    let next = 1;
    socket.on('message', (data) => {
      let frame: { kind?: string; id?: number; result?: unknown };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        return;
      }
      if (frame.kind !== 'result' || typeof frame.id !== 'number') return;
      pending.get(frame.id)?.(frame.result);
      pending.delete(frame.id);
    });
    socket.on('close', () => {
      for (const resolvePending of pending.values()) resolvePending({ ok: false, code: 'closed', message: 'the socket closed' });
      pending.clear();
    });
    socket.on('error', () => undefined);
    socket.once('open', () =>
      resolve({
        call(channel, payload) {
          const id = next++;
          return new Promise((done) => {
            pending.set(id, done);
            socket.send(JSON.stringify({ kind: 'request', id, channel, payload }));
          });
        },
        close: () => socket.close(),
      }),
    );
    socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
  });
}

/** The folder-browser handle of an absolute path, found by browsing down from a root. */
async function handleOf(client: RpcClient, target: string): Promise<string> {
  const roots = await client.call('fs.roots', {});
  if (!roots.ok) throw new Error(`fs.roots: ${roots.message}`);
  const candidates = (roots.value as { handle: string; display: string }[]).filter((r) => target === r.display || target.startsWith(r.display.endsWith(path.sep) ? r.display : r.display + path.sep));
  candidates.sort((a, b) => b.display.length - a.display.length);
  const root = candidates[0];
  if (!root) throw new Error(`no folder-browser root holds ${target}`);
  let current: { handle: string; display: string } = root;
  while (current.display !== target) {
    const browsed = await client.call('fs.browse', { handle: current.handle });
    if (!browsed.ok) throw new Error(`fs.browse ${current.display}: ${browsed.message}`);
    const entries = browsed.value.entries as { handle: string; display: string }[];
    const step: { handle: string; display: string } | undefined = entries.find((e) => target === e.display || target.startsWith(e.display + path.sep));
    if (!step) throw new Error(`${target} is not reachable in the folder browser (stopped at ${current.display})`);
    current = step;
  }
  return current.handle;
}

// --- the soak --------------------------------------------------------------------------------------

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const dir = path.join(options.workDir, 'soak');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const generated = await generateSoakHome(path.join(dir, 'home'), options.images, options.seed, log);
  // Small folders for the imports: copies of a few generated images, a new folder each time.
  const importSource = path.join(dir, 'import-source');
  await writeSyntheticArchive(importSource, { files: 5, minSide: 32, maxSide: 64, bases: 5, perFolder: 5, seed: options.seed });
  const sourceFiles = listFiles(importSource);

  log(`soak: starting the server on ${generated.images} images...`);
  const server = await startServer(dir, options.packageRoot, options.cpuProfileDir);
  const windowMinutes = options.windowMinutes ?? (options.minutes < 10 ? 1 : 5);
  const windowMs = windowMinutes * 60_000;
  const durationMs = options.minutes * 60_000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const samples: { window: number; kind: RequestKind; ms: number; ok: boolean }[] = [];
  const errorSamples: string[] = [];
  const rss: SoakReport['rss_mb'] = [];
  let imports = 0;
  let started = 0;
  const adaptation: SoakAdaptation = { started_at_s: null, upload_seconds: null, adapt_seconds: null, reembed_seconds: null, reembedded: null, state: 'not_started', message: null };
  const record = (kind: RequestKind, t0: number, ok: boolean, detail?: string) => {
    const ms = performance.now() - t0;
    samples.push({ window: Math.floor((t0 - started) / windowMs), kind, ms, ok });
    if (!ok && errorSamples.length < 20) errorSamples.push(`${kind}: ${detail ?? 'failed'}`);
  };

  const clients: RpcClient[] = [];
  try {
    for (let i = 0; i < concurrency + 2; i++) clients.push(await connect(server.port, server.token));
    // One warm-up search so the index is open before the clock starts (it loads the saved file).
    const warm = await clients[0]!.call('search.byImage', { id: 1, k: 20 });
    if (!warm.ok) throw new Error(`the warm-up search failed: ${warm.message}`);
    started = performance.now();
    const deadline = started + durationMs;
    const sampleRss = async () => {
      const value = await rssOf(server.child);
      // The loop delay since the previous sample (the child resets its histogram on each ask).
      const loop = server.exited() ? null : await askChild<{ p99_ms: number; max_ms: number }>(server.child, 'loopDelay', 'loopDelay');
      if (value !== null)
        rss.push({
          at_s: Math.round((performance.now() - started) / 1000),
          rss_mb: Math.round((value / 2 ** 20) * 10) / 10,
          load1: Math.round(os.loadavg()[0]! * 100) / 100,
          ...(loop ? { loop_p99_ms: loop.p99_ms, loop_max_ms: loop.max_ms } : {}),
        });
    };
    await sampleRss();
    const rssTimer = setInterval(() => void sampleRss(), options.rssEveryMs ?? 10_000);

    const worker = async (client: RpcClient, seed: number) => {
      const random = rng(seed);
      const lists: { listId: number; hits: number[] }[] = [];
      while (performance.now() < deadline && !server.exited()) {
        const pick = random();
        if (pick < 0.45) {
          const t0 = performance.now();
          const offset = Math.floor(random() * Math.max(1, generated.images - 100));
          const r = await client.call('library.page', { offset, limit: 100 });
          record('library.page', t0, r.ok && Array.isArray(r.value?.items), r.message);
        } else if (pick < 0.8 || lists.length === 0) {
          const t0 = performance.now();
          const r = await client.call('search.byImage', { id: 1 + Math.floor(random() * generated.images), k: 20 });
          record('search.byImage', t0, r.ok, r.message);
          if (r.ok && r.value?.listId) {
            lists.push({ listId: r.value.listId as number, hits: (r.value.hits as { image: { id: number } }[]).map((h) => h.image.id) });
            if (lists.length > 20) lists.shift();
          }
        } else {
          // The analyst marks two hits of an earlier list, then asks for the next round.
          const list = lists[Math.floor(random() * lists.length)]!;
          const marked = [0, 1].map(() => list.hits[Math.floor(random() * list.hits.length)]!).filter((id) => id !== undefined);
          if (marked.length > 0) {
            const t1 = performance.now();
            const j = await client.call('feedback.judge', { listId: list.listId, imageIds: [...new Set(marked)], judgement: random() < 0.6 ? 'relevant' : 'not_relevant' });
            record('feedback.judge', t1, j.ok, j.message);
          }
          const t2 = performance.now();
          const r = await client.call('feedback.rerank', { listId: list.listId, k: 20 });
          record('feedback.rerank', t2, r.ok, r.message);
        }
      }
    };
    // The import client: a folder of 5 new images every 2 minutes (the first after 30 s), through import.start.
    const importer = async (client: RpcClient) => {
      let next = started + 30_000;
      while (performance.now() < deadline && !server.exited()) {
        if (performance.now() < next) {
          await new Promise((r) => setTimeout(r, Math.min(1000, next - performance.now())));
          continue;
        }
        next += 120_000;
        const folder = path.join(dir, `imports`, `batch-${++imports}`);
        mkdirSync(folder, { recursive: true });
        sourceFiles.forEach((file, i) => copyFileSync(file, path.join(folder, `${imports}-${i}${path.extname(file)}`)));
        const t0 = performance.now();
        try {
          const handle = await handleOf(client, folder);
          const r = await client.call('import.start', { handle });
          if (!r.ok) throw new Error(r.message);
          const jobId = r.value.jobId as number;
          for (;;) {
            const jobs = await client.call('jobs.list', {});
            const job = (jobs.value as { jobId: number; state: string; message: string | null }[] | undefined)?.find((j) => j.jobId === jobId);
            if (job && ['done', 'failed', 'cancelled'].includes(job.state)) {
              record('import', t0, job.state === 'done', job.message ?? job.state);
              break;
            }
            if (performance.now() > deadline + 60_000) throw new Error('the import did not end');
            await new Promise((res) => setTimeout(res, 200));
          }
        } catch (error) {
          record('import', t0, false, error instanceof Error ? error.message : String(error));
        }
      }
    };
    // The adaptation client: a class from uploaded files, an adaptation, its activation and the re-embedding
    // of the whole archive from the cached trunk rows, while the other clients go on.
    const adapter = async (client: RpcClient) => {
      const at = started + (options.adaptAtMinute ?? Math.max(1, options.minutes / 3)) * 60_000;
      while (performance.now() < Math.min(at, deadline) && !server.exited()) await new Promise((r) => setTimeout(r, Math.min(1000, at - performance.now())));
      if (performance.now() >= deadline || server.exited()) return;
      adaptation.started_at_s = Math.round((performance.now() - started) / 1000);
      const step = async <T>(kind: RequestKind, run: () => Promise<T>): Promise<T> => {
        const t0 = performance.now();
        try {
          const value = await run();
          record(kind, t0, true);
          return value;
        } catch (error) {
          record(kind, t0, false, error instanceof Error ? error.message : String(error));
          throw error;
        }
      };
      const call = async (channel: string, payload: unknown) => {
        const r = await client.call(channel, payload);
        if (!r.ok) throw new Error(`${channel}: ${r.message ?? r.code}`);
        return r.value;
      };
      const waitFor = async (until: () => Promise<boolean>) => {
        while (!(await until())) {
          if (performance.now() > deadline + 60_000 || server.exited()) throw new Error('still running when the soak ended');
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      try {
        const t0 = performance.now();
        const cls = await call('classes.create', { name: 'soak target' });
        await step('classes.addUpload', async () => {
          for (const file of sourceFiles) await call('classes.addUpload', { id: cls.id, name: path.basename(file), data: readFileSync(file).toString('base64'), role: 'support' });
        });
        adaptation.upload_seconds = Math.round((performance.now() - t0) / 100) / 10;
        const t1 = performance.now();
        const child = await step('adapt', async () => {
          const { jobId } = await call('adapt.start', { classIds: [cls.id], name: 'soak adapted' });
          let result: { state: string; model: { id: number } | null; message: string | null } = { state: 'queued', model: null, message: null };
          await waitFor(async () => {
            result = await call('adapt.result', { jobId });
            return ['done', 'failed', 'cancelled'].includes(result.state);
          });
          if (result.state !== 'done' || !result.model) throw new Error(`the adaptation ended ${result.state}: ${result.message ?? ''}`);
          return result.model;
        });
        adaptation.adapt_seconds = Math.round((performance.now() - t1) / 100) / 10;
        const t2 = performance.now();
        await step('reembed', async () => {
          const { jobId } = await call('profiles.activate', { id: child.id });
          if (jobId === null) throw new Error('activating the adapted profile queued no re-embedding');
          await waitFor(async () => {
            const job = (await call('jobs.list', {})).find((j: { jobId: number }) => j.jobId === jobId) as { state: string; done: number; message: string | null } | undefined;
            if (job) adaptation.reembedded = job.done;
            if (job && ['failed', 'cancelled'].includes(job.state)) throw new Error(`the re-embedding ended ${job.state}: ${job.message ?? ''}`);
            return job?.state === 'done';
          });
        });
        adaptation.reembed_seconds = Math.round((performance.now() - t2) / 100) / 10;
        adaptation.state = 'done';
      } catch (error) {
        adaptation.message = error instanceof Error ? error.message : String(error);
        adaptation.state = /still running when the soak ended/.test(adaptation.message) ? 'unfinished' : 'failed';
      }
    };
    await Promise.all([
      ...clients.slice(0, concurrency).map((c, i) => worker(c, options.seed + 101 * (i + 1))),
      importer(clients[concurrency]!),
      adapter(clients[concurrency + 1]!),
    ]);
    clearInterval(rssTimer);
    await sampleRss();
  } finally {
    for (const client of clients) client.close();
  }
  const serverExited = server.exited();
  await server.stop();

  const windowCount = Math.max(1, Math.ceil(durationMs / windowMs));
  const windows: WindowStats[] = [];
  for (let w = 0; w < windowCount; w++) {
    const kinds: WindowStats['kinds'] = {};
    for (const kind of ['library.page', 'search.byImage', 'feedback.judge', 'feedback.rerank', 'import', 'classes.addUpload', 'adapt', 'reembed'] as RequestKind[]) {
      const inWindow = samples.filter((s) => s.window === w && s.kind === kind);
      if (inWindow.length === 0) continue;
      const ms = inWindow.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
      const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
      kinds[kind] = { count: inWindow.length, errors: inWindow.filter((s) => !s.ok).length, p50_ms: round(quantile(ms, 0.5)), p99_ms: round(quantile(ms, 0.99)) };
    }
    // A sample at t covers the 10 s before it.
    const windowOf = (atSeconds: number) => Math.min(windowCount - 1, Math.max(0, Math.floor((atSeconds - 1) / (windowMs / 1000))));
    const loops = rss.filter((r) => r.loop_p99_ms !== undefined && r.at_s > 0 && windowOf(r.at_s) === w);
    const worst = (values: number[]) => (values.length > 0 ? Math.max(...values) : null);
    windows.push({ window: w, fromMinute: w * windowMinutes, kinds, loop_delay: { p99_ms_worst: worst(loops.map((r) => r.loop_p99_ms!)), max_ms: worst(loops.map((r) => r.loop_max_ms!)) } });
  }
  // Growth from minute 5 (or the end of the first window, for a shorter soak) to the end.
  const baselineAt = Math.min(300, windowMinutes * 60, options.minutes * 60);
  const baseline = rss.find((s) => s.at_s >= baselineAt) ?? rss[0];
  const end = rss.at(-1);
  const growth = baseline && end && baseline !== end ? Math.round(((end.rss_mb - baseline.rss_mb) / baseline.rss_mb) * 1000) / 10 : null;
  const okEvery = (kind: RequestKind, limit: number) => windows.every((w) => (w.kinds[kind]?.p99_ms ?? 0) <= limit);
  rmSync(dir, { recursive: true, force: true });
  return {
    images: generated.images,
    dim: generated.dim,
    paths: generated.paths,
    judgements: generated.judgements,
    generate_seconds: Math.round(generated.generateSeconds * 10) / 10,
    index_build_seconds: Math.round(generated.indexSeconds * 10) / 10,
    minutes: options.minutes,
    window_minutes: windowMinutes,
    concurrency,
    requests: samples.length,
    errors: samples.filter((s) => !s.ok).length,
    error_samples: errorSamples,
    imports,
    adaptation,
    windows,
    rss_mb: rss,
    rss_baseline_mb: baseline?.rss_mb ?? null,
    rss_end_mb: end?.rss_mb ?? null,
    rss_growth_pct: growth,
    search_p99_ok_every_window: okEvery('search.byImage', 100),
    page_p99_ok_every_window: okEvery('library.page', 50),
    server_exited: serverExited,
  };
}


export interface SoakSectionOptions {
  images?: number;
  minutes?: number;
}

/** The bench section: `soak_requests` / `soak_errors` at the top, the figures under `soak`. */
export function soakSection(defaults: SoakSectionOptions = {}): ReliabilitySection {
  return {
    name: 'soak',
    async run({ options, workDir, log }) {
      const minutes = options.soakMinutes ?? defaults.minutes ?? 30;
      const images = options.soakImages ?? defaults.images ?? 1_000_000;
      if (minutes <= 0) return { top: { soak_requests: null, soak_errors: null }, detail: { note: 'skipped (--soak-minutes 0)' } };
      const report = await runSoak({ images, minutes, seed: options.seed, workDir, packageRoot: options.packageRoot, cpuProfileDir: options.soakCpuProfileDir, log });
      return { top: { soak_requests: report.requests, soak_errors: report.errors }, detail: report };
    },
  };
}
