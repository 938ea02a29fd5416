/**
 * The process that is SIGKILLed by the kill section of `simila bench reliability` (kills.ts) and by
 * test/integration/killFaults.test.ts. Forked with `--import tsx`; the scenario comes as JSON in
 * SIMILA_KILL_SCENARIO. It talks to its parent over the fork IPC channel:
 *   -> { phase: {...} }                the operation under test starts now (the kill clock starts)
 *   -> { sending: J } / { ack: J }     a feedback judgement about to be sent / answered by the handler
 *   -> { done: {...} }                 a finite operation finished before any kill (the cycle missed)
 * Scenarios (each on a data home the parent made for this cycle):
 *   embed         the app's embedding job on the active model ('embeddings.start' through the handlers)
 *   index-save    vectors stored one image at a time, the HNSW index saved after each, forever
 *   package-write model packages written and registered (as an adaptation does), plus one folder
 *                 rewritten in place (as a resumed training's checkpoint is), forever
 *   activation    an adapted profile activated through 'profiles.activate', then its re-embedding job
 *   feedback      'feedback.judge' on a recorded result list, one image at a time, forever
 *   migration     an old-version catalogue opened (and so migrated)
 */
import { seeded } from '../stats';
import path from 'node:path';
import { createApp } from '../../main/app/createApp';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { createDispatcher } from '../../main/rpc/dispatcher';
import { openServices } from '../../main/app/services';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { registerModelPackage } from '../../main/ml/package/registerModel';

export type KillKind = 'embed' | 'index-save' | 'package-write' | 'activation' | 'feedback' | 'migration';

export interface KillScenario {
  kind: KillKind;
  /** The data home (or, for 'migration', the catalogue file). */
  home: string;
  seed: number;
  /** activation: the adapted profile to activate. */
  modelId?: number;
}

export interface SentJudgement {
  seq: number;
  imageId: number;
  judgement: 'relevant' | 'not_relevant' | 'unsure';
}

/** The app options both the killed child and the restart use (small batches: many commits per second). */
export function killAppOptions(home: string) {
  return {
    home,
    mode: 'browser' as const,
    env: {},
    decodeInProcess: true,
    shippedModelsRoot: null,
    preferBackends: ['wasm'],
    embedBatchSize: 4,
    embedWorkers: 1,
    progressThrottleMs: 0,
    externalChangePollMs: 60_000,
  };
}

const rng = seeded;

const send = (message: unknown) => process.send?.(message);
/**
 * Sends and resolves once the message has been handed to the OS. A message still queued in this process
 * when the kill lands is lost with it; the checker must hear of every judgement before it can be written.
 */
const sendNow = (message: unknown) => new Promise<void>((resolve, reject) => process.send!(message, undefined, undefined, (error) => (error ? reject(error) : resolve())));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const raw = process.env.SIMILA_KILL_SCENARIO;
  if (!raw || !process.send) throw new Error('killChild runs forked by the kill section');
  const scenario = JSON.parse(raw) as KillScenario;
  const random = rng(scenario.seed);

  switch (scenario.kind) {
    case 'migration': {
      send({ phase: { file: scenario.home } });
      await tick();
      openCatalogue(scenario.home).close();
      send({ done: {} });
      return;
    }
    case 'embed': {
      const app = await createApp(killAppOptions(scenario.home));
      const { dispatch } = createDispatcher(app.handlers, { log: () => undefined });
      const ctx = { mode: 'browser' as const };
      // The embedding worker is started before the clock starts (a query by an archive image without a
      // vector embeds it), so the kills land in the job's batches and index saves, not in a worker's start.
      const page = (await dispatch('library.page', { offset: 0, limit: 1 }, ctx)) as { value?: { items: { id: number }[] } };
      const first = page.value?.items[0]?.id;
      if (first !== undefined) await dispatch('search.byImage', { id: first, k: 1 }, ctx);
      send({ phase: {} });
      const started = (await dispatch('embeddings.start', {}, ctx)) as { ok: boolean; value?: { jobId: number } };
      if (!started.ok || !started.value) throw new Error(`embeddings.start: ${JSON.stringify(started)}`);
      await waitForJob(dispatch, started.value.jobId);
      send({ done: { jobId: started.value.jobId } });
      await app.close();
      return;
    }
    case 'activation': {
      const app = await createApp(killAppOptions(scenario.home));
      const { dispatch } = createDispatcher(app.handlers, { log: () => undefined });
      const ctx = { mode: 'browser' as const };
      await dispatch('profiles.list', {}, ctx); // the engine is ready before the clock starts
      send({ phase: {} });
      const activated = (await dispatch('profiles.activate', { id: scenario.modelId }, ctx)) as { ok: boolean; value?: { jobId: number | null } };
      if (!activated.ok) throw new Error(`profiles.activate: ${JSON.stringify(activated)}`);
      const jobId = activated.value?.jobId ?? null;
      send({ activated: { jobId } });
      if (jobId !== null) await waitForJob(dispatch, jobId);
      send({ done: { jobId } });
      await app.close();
      return;
    }
    case 'feedback': {
      const app = await createApp(killAppOptions(scenario.home));
      const { dispatch } = createDispatcher(app.handlers, { log: () => undefined });
      const ctx = { mode: 'browser' as const };
      const page = (await dispatch('library.page', { offset: 0, limit: 50 }, ctx)) as { ok: boolean; value?: { items: { id: number }[] } };
      const ids = page.value?.items.map((i) => i.id) ?? [];
      if (ids.length === 0) throw new Error('feedback: the library is empty');
      const search = (await dispatch('search.byImage', { id: ids[0], k: Math.min(20, ids.length) }, ctx)) as { ok: boolean; value?: { listId?: number; queryKey?: string; model: { id: number }; hits: { image: { id: number } }[] } };
      if (!search.ok || !search.value?.listId) throw new Error(`search.byImage: ${JSON.stringify(search).slice(0, 300)}`);
      const { listId, queryKey, model, hits } = search.value;
      send({ phase: { listId, queryKey, modelId: model.id } });
      const values = ['relevant', 'not_relevant', 'unsure'] as const;
      for (let seq = 1; ; seq++) {
        const judged: SentJudgement = { seq, imageId: hits[Math.floor(random() * hits.length)]!.image.id, judgement: values[Math.floor(random() * values.length)]! };
        await sendNow({ sending: judged });
        const answer = (await dispatch('feedback.judge', { listId, imageIds: [judged.imageId], judgement: judged.judgement }, ctx)) as { ok: boolean };
        if (!answer.ok) throw new Error(`feedback.judge: ${JSON.stringify(answer)}`);
        send({ ack: judged });
      }
    }
    case 'index-save': {
      const services = openServices({ ...killAppOptions(scenario.home), resumeJobs: false });
      const model = await services.engine.activeModel();
      if (!model) throw new Error('index-save: no active model');
      const index = await services.engine.index(model);
      const dim = model.embeddingDim;
      send({ phase: { modelId: model.id } });
      for (;;) {
        const missing = services.catalogue.embeddings.idsMissing(model.id, 1);
        if (missing.length > 0) {
          const vector = new Float32Array(dim).map(() => random() - 0.5);
          const put = services.catalogue.embeddings.putMany(model.id, [{ imageId: missing[0]!, vector }]);
          if (!put.ok) throw new Error(put.message);
          index.add(missing, vector);
        }
        await services.engine.saveIndex(model);
      }
    }
    case 'package-write': {
      const services = openServices({ ...killAppOptions(scenario.home), resumeJobs: false });
      const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 8], seed: scenario.seed });
      const parent = services.catalogue.models.active();
      send({ phase: {} });
      for (let i = 0; ; i++) {
        const input = {
          name: `kill-${scenario.seed}-${i}`,
          preprocess: defaultPreprocessSpec(16, 1),
          provenance: { stage: 'adapted' as const, datasets: [], parent: parent ? { id: parent.id, name: parent.name } : null, created: new Date().toISOString(), backend: 'test', trainingSeconds: 0, steps: i, complete: true },
          metrics: { loss: [], validation: [], final: null },
        };
        if (i % 2 === 1) {
          // A folder rewritten in place (a resumed training's checkpoint): never registered, must stay whole.
          await saveModelPackage(path.join(services.layout.models, 'checkpoint'), net, { ...input, name: 'checkpoint', provenance: { ...input.provenance, stage: 'stage1', complete: false } });
          continue;
        }
        const dir = path.join(services.layout.models, input.name);
        const manifest = await saveModelPackage(dir, net, input);
        const registered = registerModelPackage(services.catalogue.models, services.layout.models, dir, manifest);
        if (!registered.ok) throw new Error(registered.message);
      }
    }
  }
}

type Dispatch = (channel: string, payload: unknown, context: { mode: 'browser' }) => Promise<unknown>;

async function waitForJob(dispatch: Dispatch, jobId: number): Promise<void> {
  for (;;) {
    const list = (await dispatch('jobs.list', {}, { mode: 'browser' })) as { ok: boolean; value?: { jobId: number; state: string }[] };
    const job = list.value?.find((j) => j.jobId === jobId);
    if (job && ['done', 'failed', 'cancelled'].includes(job.state)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

if (process.env.SIMILA_KILL_SCENARIO) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`killChild: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(3);
    },
  );
}
