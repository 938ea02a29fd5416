import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShapesFolder } from '../ml/evaluation/support/shapesFolder';

// Stage 2 end to end through the CLI on a generated ImageFolder: a stage-1 model (a few pretrain
// steps), then `train meta` (with resume), then `eval` with the adapting methods.
const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
let root: string;
let data: string;
let stage1: string;

async function simila(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/simila.js'), ...args], { cwd: repoRoot, timeout: 170_000, env: { ...process.env, SIMILA_HOME: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const common = ['--way', '3', '--shot', '2', '--queries', '2', '--validation-fraction', '0.5', '--validation-episodes', '2', '--backend', 'wasm'];

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-meta-cli-'));
  data = await writeShapesFolder(path.join(root, 'shapes'), 8, 10, 20, 3);
  stage1 = path.join(root, 'stage1');
  const made = await simila(['train', 'pretrain', '--data', data, '--out', stage1, '--input-size', '16', '--steps', '2', '--batch-classes', '3', '--batch-samples', '2', '--backend', 'wasm', '--json']);
  expect(made.code, made.stderr.slice(-800)).toBe(0);
}, 180_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('simila train meta', () => {
  it('meta-trains, records the adaptation, both curves and the parent, resumes, and the result evaluates with sft/maml/ours', async () => {
    const out = path.join(root, 'meta');
    const first = await simila(['train', 'meta', '--init', stage1, '--data', data, '--out', out, '--steps', '2', '--validate-every', '1', '--inner-steps', '2', '--json', ...common]);
    expect(first.code, first.stderr.slice(-800)).toBe(0);
    const summary = JSON.parse(first.stdout) as { ok: boolean; steps: number; initValidation: { mapAtR: number } };
    expect(summary).toMatchObject({ ok: true, steps: 2 });
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.provenance.stage).toBe('meta');
    expect(manifest.provenance.complete).toBe(true);
    expect(manifest.provenance.parent.name).toBe('stage1');
    expect(manifest.provenance.options).toMatchObject({ group: 'last-stage-head', order: 1, innerSteps: 2, adaptation: { group: 'last-stage-head', steps: 2 }, frozenStages: 3 });
    expect(manifest.provenance.options.stage1.loss.length).toBeGreaterThan(0);
    expect(manifest.metrics.validation.map((p: { step: number }) => p.step)).toEqual([0, 1, 2]);

    const resumed = await simila(['train', 'meta', '--init', stage1, '--data', data, '--out', out, '--steps', '3', '--resume', '--inner-steps', '2', '--json', ...common]);
    expect(resumed.code, resumed.stderr.slice(-800)).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ ok: true, steps: 3 });

    const report = await simila(['eval', '--model', out, '--data', data, '--methods', 'dml,sft,maml,ours', '--way', '3', '--shot', '2', '--queries', '3', '--episodes', '2', '--backend', 'wasm', '--json']);
    expect(report.code, report.stderr.slice(-800)).toBe(0);
    const parsed = JSON.parse(report.stdout) as { results: { method: string; map_at_r: number; ci95_map_at_r: number }[]; method_notes: Record<string, string> };
    expect(parsed.results.map((r) => r.method)).toEqual(['dml', 'sft', 'maml', 'ours']);
    for (const r of parsed.results) expect(r.map_at_r).toBeGreaterThan(0);
    expect(parsed.method_notes.sft).toMatch(/stage-1 parent/);
    expect(parsed.method_notes.maml).toMatch(/no whole-network MAML init/);
    expect(parsed.method_notes.ours).toMatch(/configured adaptation/);
  }, 180_000);

  it('train full alternates the stages and stores every round with both curves', async () => {
    const out = path.join(root, 'full');
    const result = await simila(['train', 'full', '--init', stage1, '--data', data, '--out', out, '--rounds', '2', '--stage1-steps', '1', '--stage2-minutes', '0.02', '--tolerance', '0.000001', '--inner-steps', '1', '--batch-classes', '3', '--batch-samples', '2', '--json', ...common]);
    expect(result.code, result.stderr.slice(-800)).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, stoppedBy: expect.stringMatching(/rounds|agreed/) });
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    const record = manifest.provenance.options.alternation;
    expect(record.rounds.length).toBeGreaterThanOrEqual(1);
    expect(record.rounds[0]).toMatchObject({ round: 1, stage1Steps: 3 });
    if (record.stoppedBy === 'rounds') expect(record.rounds[1]).toMatchObject({ round: 2, stage1Steps: 4 });
    expect(manifest.provenance.options.stage1.loss.length).toBeGreaterThan(0);
    expect(manifest.metrics.validation.length).toBeGreaterThan(0);
    // The stage-1 model it started from is recorded for sft's baseline; init is the last round's stage 1.
    expect(manifest.provenance.options.stage1Init).toBe(path.resolve(stage1));
    expect(manifest.provenance.options.init).not.toBe(path.resolve(stage1));
  }, 180_000);

  it('--learn-step-sizes --freeze-weights learns only the step sizes and records them as the adaptation', async () => {
    const out = path.join(root, 'step-sizes');
    const result = await simila(['train', 'meta', '--init', stage1, '--data', data, '--out', out, '--steps', '2', '--inner-steps', '2', '--learn-step-sizes', '--step-size-lr', '0.2', '--freeze-weights', '--json', ...common]);
    expect(result.code, result.stderr.slice(-800)).toBe(0);
    const summary = JSON.parse(result.stdout) as { ok: boolean; stepSizes: Record<string, number> };
    expect(summary.ok).toBe(true);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.provenance.options).toMatchObject({ learnStepSizes: true, stepSizeLearningRate: 0.2, freezeWeights: true, adaptation: { stepSizes: summary.stepSizes } });
    expect(Object.keys(summary.stepSizes).length).toBeGreaterThan(0);
    // Frozen: the package's weights are stage 1's, byte for byte.
    const parent = JSON.parse(await fs.readFile(path.join(stage1, 'manifest.json'), 'utf8'));
    expect(manifest.weights.tensors).toEqual(parent.weights.tensors);
    expect((await fs.readFile(path.join(out, manifest.weights.file))).equals(await fs.readFile(path.join(stage1, parent.weights.file)))).toBe(true);
    const bad = await simila(['train', 'meta', '--init', stage1, '--data', data, '--out', path.join(root, 'z'), '--steps', '1', '--freeze-weights', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, code: 'bad-options', message: expect.stringMatching(/--learn-step-sizes/) });
  }, 180_000);

  it('refuses bad options with an error value', async () => {
    const bad = await simila(['train', 'meta', '--init', stage1, '--data', data, '--out', path.join(root, 'x'), '--steps', '1', '--group', 'everything', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, code: 'bad-options' });
    const missing = await simila(['train', 'meta', '--init', path.join(root, 'nope'), '--data', data, '--out', path.join(root, 'y'), '--steps', '1', '--json']);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, code: 'model-unreadable' });
  }, 60_000);
});
