import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseEvalModel } from '../../main/cli/commands/evalCommand';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { homeLayout } from '../../main/home/dataHome';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { tempDir } from '../ingest/support/fixtures';
import { writeShapesFolder } from '../ml/evaluation/support/shapesFolder';

const run = promisify(execFile);
const bin = path.resolve('bin/simila.js');
let work: ReturnType<typeof tempDir>;
let data: string;
let modelDir: string;

async function simila(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, SIMILA_HOME: '' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = tempDir('eval-cli');
  data = await writeShapesFolder(path.join(work.dir, 'shapes'), 6, 8);
  modelDir = path.join(work.dir, 'model');
  const net = createEmbeddingNet({ arch: 'conv4', inputSize: 28, channels: 3, widths: [8, 8, 8, 8], seed: 5 });
  await saveModelPackage(modelDir, net, {
    name: 'test-conv4',
    preprocess: defaultPreprocessSpec(28, 3),
    provenance: { stage: 'pretrain', datasets: [], parent: null, created: new Date(0).toISOString(), backend: 'cpu', trainingSeconds: 0, steps: 0, complete: true },
    metrics: { loss: [], validation: [], final: null },
  });
  net.dispose();
});
afterAll(() => work?.cleanup());

const evalArgs = () => ['eval', '--model', modelDir, '--data', data, '--way', '4', '--shot', '2', '--queries', '5', '--episodes', '5', '--seed', '1', '--methods', 'random,dml', '--json'];

describe('simila eval', () => {
  it('prints one JSON report with every figure per method, the same for the same seed', async () => {
    const first = await simila(...evalArgs());
    expect(first.stderr).not.toMatch(/Error:/);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(first.stdout) as { results: Record<string, unknown>[]; episodes: number; backend: string; model_source: string };
    expect(report).toMatchObject({ episodes: 5, way: 4, shot: 2, queries: 5, seed: 1, model_source: 'option', model_complete: true, failed_images: 0 });
    expect(['wasm', 'cpu', 'tfjs-node', 'tfjs-node-gpu']).toContain(report.backend);
    expect(report.results.map((r) => r.method)).toEqual(['random', 'dml']);
    for (const line of report.results) {
      for (const key of ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'map', 'ci95_recall_at_1', 'ci95_map_at_r']) {
        expect(typeof line[key], key).toBe('number');
      }
    }
    const second = JSON.parse((await simila(...evalArgs())).stdout) as typeof report;
    const figures = (r: typeof report) => r.results.map(({ seconds: _s, ...rest }) => rest);
    expect(figures(second)).toEqual(figures(report));
  }, 120_000);

  it('answers bad input with a reason and a non-zero exit', async () => {
    const unknown = await simila('eval', '--model', modelDir, '--data', data, '--methods', 'dml,nope', '--json');
    expect(unknown.code).not.toBe(0);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, code: 'unknown-method' });

    const tooFew = await simila('eval', '--model', modelDir, '--data', data, '--way', '7', '--shot', '2', '--queries', '5', '--json');
    expect(JSON.parse(tooFew.stdout)).toMatchObject({ ok: false, code: 'too-few-classes' });

    const noModel = await simila('eval', '--model', path.join(work.dir, 'missing'), '--data', data, '--json');
    expect(JSON.parse(noModel.stdout)).toMatchObject({ ok: false, code: 'package-missing' });

    const noData = await simila('eval', '--model', modelDir, '--data', path.join(work.dir, 'nowhere'));
    expect(noData.code).not.toBe(0);
    expect(noData.stderr).toMatch(/does not exist/);
  }, 120_000);
});

describe('choosing the model to evaluate', () => {
  it('takes --model, else the active model of the catalogue, else the shipped one, else refuses', async () => {
    const home = path.join(work.dir, 'home');
    const missingShipped = path.join(work.dir, 'no-shipped-model');
    expect(await chooseEvalModel({ model: modelDir, home, shippedDir: missingShipped })).toEqual({ ok: true, dir: modelDir, source: 'option' });

    const none = await chooseEvalModel({ home, shippedDir: missingShipped });
    expect(none).toMatchObject({ ok: false, code: 'no-model' });
    expect(none.ok ? '' : none.message).toMatch(/no trained model available/);

    expect(await chooseEvalModel({ home, shippedDir: modelDir })).toEqual({ ok: true, dir: modelDir, source: 'shipped' });

    const layout = homeLayout(home);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(layout.root, { recursive: true });
    const catalogue = openCatalogue(layout.catalogueFile);
    try {
      const registered = catalogue.models.register({ name: 'stage1', stage: 'pretrain', dir: 'stage1-v1', embeddingDim: 8 });
      expect(await chooseEvalModel({ home, shippedDir: modelDir })).toMatchObject({ source: 'shipped' }); // registered, not active
      catalogue.models.setActive(registered.id);
    } finally {
      catalogue.close();
    }
    expect(await chooseEvalModel({ home, shippedDir: missingShipped })).toEqual({ ok: true, dir: path.join(layout.models, 'stage1-v1'), source: 'active' });
  });
});
