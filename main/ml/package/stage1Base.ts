/**
 * Which stage-1 model a meta-learnt package counts as its baseline ("sft" in `simila eval`): the model
 * an alternation started from (provenance.options.stage1Init), else the init stage 2 started from
 * (provenance.options.init). Paths are recorded absolute where the model was trained; a package that
 * moved (shipped under assets/models, cloned elsewhere) finds the same-named folder beside itself.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const isPackage = (dir: string) => existsSync(path.join(dir, 'manifest.json'));

export function resolveStage1Base(modelDir: string, options: Record<string, unknown> | undefined): string | undefined {
  const recorded = [options?.stage1Init, options?.init].filter((value): value is string => typeof value === 'string' && value.length > 0);
  for (const dir of recorded) {
    if (isPackage(dir)) return dir;
    const sibling = path.join(path.dirname(path.resolve(modelDir)), path.basename(dir));
    if (sibling !== path.resolve(modelDir) && isPackage(sibling)) return sibling;
  }
  return undefined;
}
