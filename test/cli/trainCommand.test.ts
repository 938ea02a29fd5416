import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
let root: string;

async function simila(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/simila.js'), ...args], { cwd: repoRoot, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-train-cli-'));
  for (let c = 0; c < 3; c++) {
    await fs.mkdir(path.join(root, 'data', `c${c}`), { recursive: true });
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 80 * c, g: 30 * i, b: 0 } } }).png().toFile(path.join(root, 'data', `c${c}`, `${i}.png`));
    }
  }
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('simila train pretrain', () => {
  it('trains a few steps into a model package and prints a JSON summary', async () => {
    const out = path.join(root, 'model');
    const result = await simila(['train', 'pretrain', '--data', path.join(root, 'data'), '--out', out, '--input-size', '16', '--steps', '2', '--batch-classes', '3', '--batch-samples', '2', '--backend', 'wasm', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
    expect(summary).toMatchObject({ ok: true, steps: 2, stoppedBy: 'steps', backend: 'wasm' });
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.architecture).toMatchObject({ arch: 'conv4', inputSize: 16, channels: 1 });
    expect(manifest.provenance).toMatchObject({ stage: 'pretrain', steps: 2, backend: 'wasm' });
  }, 120_000);

  it('--arch dwsconv4 --widths --embedding-size shape the new model, recorded in its manifest', async () => {
    const out = path.join(root, 'dws');
    const result = await simila(['train', 'pretrain', '--data', path.join(root, 'data'), '--out', out, '--arch', 'dwsconv4', '--widths', '4,8, 8,12', '--embedding-size', '6', '--channels', '3', '--input-size', '16', '--steps', '2', '--batch-classes', '3', '--batch-samples', '2', '--backend', 'wasm', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.architecture).toMatchObject({ arch: 'dwsconv4', widths: [4, 8, 8, 12], projectionDim: 6, channels: 3 });
    expect(manifest.embeddingDim).toBe(6);
  }, 120_000);

  it.each([
    [['--widths', '64,64,64'], /4 stage widths/],
    [['--widths', '64,64,x,64'], /whole number from 1 to 1024/],
    [['--widths', '64,0,64,64'], /whole number from 1 to 1024/],
    [['--widths', '64,64,64,2048'], /whole number from 1 to 1024/],
    [['--embedding-size', '4096'], /--embedding-size must be/],
    [['--arch', 'mobilenet'], /unknown architecture mobilenet \(conv4, resnet12, dwsconv4\)/],
    [['--widths', '8,8,8,8', '--resume'], /new model only/],
  ])('refuses %j with a JSON error before touching anything', async (extra, message) => {
    const out = path.join(root, 'refused');
    const result = await simila(['train', 'pretrain', '--data', path.join(root, 'data'), '--out', out, '--steps', '1', '--json', ...extra]);
    expect(result.code).toBe(1);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({ ok: false, code: 'bad-options' });
    expect(answer.message).toMatch(message);
    await expect(fs.stat(out)).rejects.toThrow();
  }, 60_000);

  it('refuses to run without a budget, with a JSON error and exit code 1', async () => {
    const result = await simila(['train', 'pretrain', '--data', path.join(root, 'data'), '--out', path.join(root, 'none'), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'bad-options' });
    await expect(fs.stat(path.join(root, 'none'))).rejects.toThrow();
  }, 60_000);
});
