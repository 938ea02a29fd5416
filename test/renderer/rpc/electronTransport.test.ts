import { describe, expect, it } from 'vitest';
import type { PreloadFacade, RpcResult } from '../../../shared/rpc/contract';
import { createElectronClient } from '../../../renderer/src/rpc/electronTransport';
import { RpcCallError } from '../../../renderer/src/rpc/types';

function fakeFacade(answer: (channel: string, payload: unknown) => Promise<RpcResult<unknown>>) {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  const calls: Array<[string, unknown]> = [];
  const facade: PreloadFacade = {
    call: (channel, payload) => {
      calls.push([channel, payload]);
      return answer(channel, payload);
    },
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const emit = (event: string, payload: unknown) => listeners.forEach((listener) => listener(event, payload));
  return { facade, calls, emit };
}

describe('createElectronClient', () => {
  it('unwraps ok results and passes channel and payload through', async () => {
    const { facade, calls } = fakeFacade(async () => ({ ok: true, value: { jobId: 3 } }));
    const client = createElectronClient(facade);
    expect(client.mode).toBe('electron');
    await expect(client.call('import.start', { handle: 'h' })).resolves.toEqual({ jobId: 3 });
    expect(calls).toEqual([['import.start', { handle: 'h' }]]);
  });

  it('turns error values into RpcCallError and a broken bridge into "disconnected"', async () => {
    const failing = createElectronClient(fakeFacade(async () => ({ ok: false, code: 'forbidden', message: 'Not from here.' })).facade);
    const error = await failing.call('app.info', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcCallError);
    expect(error).toMatchObject({ code: 'forbidden', message: 'Not from here.' });
    const broken = createElectronClient(fakeFacade(() => Promise.reject(new Error('ipc gone'))).facade);
    await expect(broken.call('app.info', {})).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('routes events by name to their subscribers', () => {
    const { facade, emit } = fakeFacade(async () => ({ ok: true, value: null }));
    const client = createElectronClient(facade);
    const changed: unknown[] = [];
    const progress: unknown[] = [];
    const off = client.on('library.changed', (payload) => changed.push(payload));
    client.on('job.progress', (payload) => progress.push(payload.jobId));
    emit('library.changed', { added: 1, folderIds: [2] });
    emit('job.progress', { jobId: 8 });
    off();
    emit('library.changed', { added: 5, folderIds: [] });
    expect(changed).toEqual([{ added: 1, folderIds: [2] }]);
    expect(progress).toEqual([8]);
  });

  it('uses the custom protocol for images', () => {
    const client = createElectronClient(fakeFacade(async () => ({ ok: true, value: null })).facade);
    expect(client.imageUrl(42, 'thumb')).toBe('simila-img://thumb/42');
    expect(client.imageUrl(7, 'full')).toBe('simila-img://full/7');
  });
});
