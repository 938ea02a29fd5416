/** `simila serve` as a user runs it: one running line on stdout, the page loads, SIGTERM closes it cleanly. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../ingest/support/fixtures';

const work = tempDir('serve');
afterAll(() => work.cleanup());

describe('simila serve', () => {
  it('prints exactly one running line, serves the page and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/simila.js', 'serve', '--home', path.join(work.dir, 'home'), '--port', '0', '--no-open'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    expect(line).toMatch(/^Simila is running at http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
    const url = line.slice('Simila is running at '.length);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});
