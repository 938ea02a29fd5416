/** Simila's package root: the nearest folder above this module whose package.json is named simila. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached) return cached;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    try {
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'simila') {
        return (cached = dir);
      }
    } catch {
      // Not ours; keep walking up.
    }
    if (path.dirname(dir) === dir) return (cached = path.resolve(start, '..', '..'));
  }
}
