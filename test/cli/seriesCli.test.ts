/**
 * `simila list --by series|study --json` and `simila search ... --group series` on a generated
 * DICOM archive (2 studies x 3 series of 4 slices, and a folder of photographs).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticArchive } from '../../bench/series/syntheticSeries';
import { makeImage, tempDir } from '../ingest/support/fixtures';

const run = promisify(execFile);
const bin = path.resolve('bin/simila.js');
let work: ReturnType<typeof tempDir>;
let home: string;

async function simila(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args, '--home', home], { env: { ...process.env, SIMILA_HOME: '' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

beforeAll(async () => {
  work = tempDir('series-cli');
  home = path.join(work.dir, 'home');
  const archive = path.join(work.dir, 'archive');
  await writeSyntheticArchive(path.join(archive, 'dicom'), { instances: 24, series: 6 });
  mkdirSync(path.join(archive, 'photos'), { recursive: true });
  for (let i = 0; i < 2; i++) writeFileSync(path.join(archive, 'photos', `${i}.png`), await makeImage('png', 32, 32, i + 3));
  expect((await simila('import', archive, '--json')).code).toBe(0);
}, 120_000);
afterAll(() => work.cleanup());

describe('simila list --by', () => {
  it('lists series with their UIDs, modality and instance counts, and studies with their series', async () => {
    const series = await simila('list', '--by', 'series', '--json');
    expect(series.code).toBe(0);
    const parsed = JSON.parse(series.stdout) as { series: { series_uid: string | null; study_uid: string | null; modality: string | null; instances: number; kind: string }[] };
    const dicom = parsed.series.filter((s) => s.kind === 'dicom');
    expect(dicom).toHaveLength(6);
    for (const s of dicom) {
      expect(s.series_uid?.startsWith(s.study_uid ?? '?')).toBe(true); // the generator nests series UIDs under study UIDs
      expect(s.instances).toBe(4);
      expect(s.modality).toMatch(/^[A-Z]{2}$/);
    }
    expect(parsed.series.filter((s) => s.kind === 'folder')).toEqual([expect.objectContaining({ instances: 2, series_uid: null })]);

    const studies = JSON.parse((await simila('list', '--by', 'study', '--json')).stdout) as { studies: { study_uid: string | null; series: number; instances: number }[] };
    expect(studies.studies.filter((s) => s.study_uid !== null).map((s) => [s.series, s.instances])).toEqual([
      [3, 12],
      [3, 12],
    ]);
  });

  it('refuses an unknown grouping level', async () => {
    const bad = await simila('list', '--by', 'patient');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/series or study|series, study/);
  });
});
