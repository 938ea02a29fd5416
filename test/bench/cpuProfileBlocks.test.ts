/**
 * `bench profile-blocks`: finds the runs of busy samples that held an event loop and says whose code ran
 * in them, on a hand-made profile and on a real one written by `node --cpu-prof`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileBlocks, readCpuProfile, type CpuProfile } from '../../bench/support/cpuProfileBlocks';

const work = mkdtempSync(path.join(os.tmpdir(), 'simila-profile-blocks-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/** root > (idle) | handler (project) > search (project) > searchKnn (library) | (garbage collector) */
function handMade(samples: number[], everyUs = 1000): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 6] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('handle', 'file:///app/main/rpc/handler.ts'), children: [4] },
      { id: 4, callFrame: frame('search', 'file:///app/main/index/hnswIndex.ts'), children: [5] },
      { id: 5, callFrame: frame('searchKnn', 'file:///app/node_modules/hnswlib-node/lib/index.js') },
      { id: 6, callFrame: frame('(garbage collector)') },
    ],
    startTime: 0,
    endTime: samples.length * everyUs,
    samples,
    timeDeltas: samples.map(() => everyUs),
  };
}

describe('profileBlocks', () => {
  it('reports only busy runs of at least minMs and attributes library time to the project frame that called it', () => {
    // 10 ms idle, a 60 ms block (50 ms in the library under search, 10 ms GC), 10 ms idle, a 20 ms block (too short).
    const samples = [...Array(10).fill(2), ...Array(50).fill(5), ...Array(10).fill(6), ...Array(10).fill(2), ...Array(20).fill(3)];
    const report = profileBlocks(handMade(samples), { minMs: 50 });
    expect(report.blocks).toBe(1);
    expect(report.block_ms).toBe(60);
    expect(report.busy_ms).toBe(80);
    expect(report.by_frame[0]).toEqual({ frame: 'search index/hnswIndex.ts:1', ms: 50, blocks: 1 });
    expect(report.by_frame[1]).toEqual({ frame: '(garbage collector)', ms: 10, blocks: 1 });
    expect(report.by_chain[0]!.frame).toBe('handle rpc/handler.ts:1 > search index/hnswIndex.ts:1');
    expect(report.longest).toHaveLength(1);
    expect(report.longest[0]!.at_s).toBeCloseTo(0.01, 5);
  });

  it('counts a frame once per block however many samples it has', () => {
    const samples = [...Array(60).fill(4), 2, ...Array(60).fill(4)];
    const report = profileBlocks(handMade(samples), { minMs: 50 });
    expect(report.blocks).toBe(2);
    expect(report.by_frame).toEqual([{ frame: 'search index/hnswIndex.ts:1', ms: 120, blocks: 2 }]);
  });

  it('finds the long block of a real profile and names the function that caused it', () => {
    const script = path.join(work, 'main', 'blocker.mjs');
    rmSync(path.dirname(script), { recursive: true, force: true });
    execFileSync('mkdir', ['-p', path.dirname(script)]);
    writeFileSync(
      script,
      [
        'function holdTheLoop(ms) { const end = performance.now() + ms; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1); return x; }',
        'function shortWork() { return holdTheLoop(2); }',
        'let n = 0;',
        'const timer = setInterval(() => { if (n === 3) holdTheLoop(150); else shortWork(); if (++n > 6) { clearInterval(timer); process.exit(0); } }, 20);',
      ].join('\n'),
    );
    const dir = path.join(work, 'profile');
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, script]);
    const file = path.join(dir, readdirSync(dir)[0]!);
    const report = profileBlocks(readCpuProfile(file), { minMs: 100, projectMarkers: [path.join(work, 'main')] });
    expect(report.blocks).toBe(1);
    expect(report.block_ms).toBeGreaterThanOrEqual(140);
    expect(report.by_frame[0]!.frame).toMatch(/^holdTheLoop main\/blocker\.mjs:1$/);
  });
});
