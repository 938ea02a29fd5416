import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveStage1Base } from '../../../main/ml/package/stage1Base';

describe('resolveStage1Base', () => {
  let root: string;
  const makePackage = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'manifest.json'), '{}');
    return dir;
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'simila-stage1-base-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prefers the alternation\'s starting model over the last round\'s stage 1', () => {
    const model = makePackage(path.join(root, 'models', 'default'));
    const start = makePackage(path.join(root, 'models', 'stage1-conv4'));
    const lastRound = makePackage(path.join(root, 'work', 'stage1'));
    expect(resolveStage1Base(model, { stage1Init: start, init: lastRound })).toBe(start);
    expect(resolveStage1Base(model, { init: lastRound })).toBe(lastRound);
  });

  it('finds a moved package by its folder name beside the model', () => {
    const model = makePackage(path.join(root, 'assets', 'models', 'default'));
    const sibling = makePackage(path.join(root, 'assets', 'models', 'stage1-conv4'));
    expect(resolveStage1Base(model, { stage1Init: '/elsewhere/when/trained/stage1-conv4', init: '/gone/work/stage1' })).toBe(sibling);
  });

  it('answers undefined when nothing recorded exists, and never the model itself', () => {
    const model = makePackage(path.join(root, 'models', 'default'));
    expect(resolveStage1Base(model, { init: '/gone/stage1' })).toBeUndefined();
    expect(resolveStage1Base(model, { init: '/trained/elsewhere/default' })).toBeUndefined();
    expect(resolveStage1Base(model, undefined)).toBeUndefined();
  });
});
