import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, selectBackend } from '../../main/ml/backend/selectBackend';
import { installedWasmTrainingKernels } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';

async function hasPackage(name: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ name);
    return true;
  } catch {
    return false;
  }
}

describe('selectBackend', () => {
  it('tries tfjs-node-gpu, tfjs-node, wasm, cpu in that order and logs why each was skipped', async () => {
    const lines: string[] = [];
    const selection = await selectBackend({ log: (line) => lines.push(line) });
    expect(BACKEND_ORDER).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
    expect(selection.attempts.map((a) => a.name)).toEqual(BACKEND_ORDER.slice(0, selection.attempts.length));
    expect(selection.attempts.at(-1)).toMatchObject({ name: selection.name, ok: true });
    expect(tf.getBackend()).toBe(selection.tfBackend);
    expect(lines.at(-1)).toContain(`backend ${selection.name} runs`);
    for (const failed of selection.attempts.filter((a) => !a.ok)) {
      expect(failed.reason).toMatch(/not available|did not initialise/);
      expect(lines.some((l) => l.includes(`backend ${failed.name} skipped`))).toBe(true);
    }
    // On a machine without the optional native packages (like CI here) wasm must win, with its kernels.
    if (!(await hasPackage('@tensorflow/tfjs-node-gpu')) && !(await hasPackage('@tensorflow/tfjs-node'))) {
      expect(selection.name).toBe('wasm');
      expect(selection.reason).toContain('Conv2DBackpropFilter');
      expect(installedWasmTrainingKernels()).toContain('Conv2DBackpropFilter');
    }
  });

  it('honours a preference list and reports unknown names', async () => {
    const selection = await selectBackend({ prefer: ['bogus', 'cpu'], log: () => {} });
    expect(selection.name).toBe('cpu');
    expect(selection.attempts[0]).toMatchObject({ name: 'bogus', ok: false, reason: 'unknown backend name' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('fails with a clear error when nothing in the list can start', async () => {
    await expect(selectBackend({ prefer: ['bogus'], log: () => {} })).rejects.toThrow(/no TensorFlow.js backend/);
  });
});
