// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { MAX_UPLOAD_BYTES as CONTRACT_MAX_UPLOAD_BYTES } from '@shared/rpc/contract';
import type { RequestOf } from '@shared/rpc/contract';
import { MAX_UPLOAD_BYTES, bytesToBase64 } from '../../renderer/src/composables/upload';
import { RpcCallError } from '../../renderer/src/rpc/types';
import { createFakeClient, fakeModel, settle, summary } from './fakeClient';
import { mountAppWith, press, q, useAppTests } from './mountApp';

useAppTests();

const mountApp = (options: { count?: number; embedded?: number } = {}) =>
  mountAppWith(createFakeClient({ count: options.count ?? 40, embedded: options.embedded }));

const resultTiles = () => [...document.querySelectorAll<HTMLElement>('[data-testid="search-results"] [data-testid="grid-item"]')];
const distances = () => resultTiles().map((tile) => Number(tile.dataset.detail));

async function focusLibraryTile(index: number): Promise<void> {
  q('library-grid')!.focus();
  for (let i = 0; i <= index; i++) await press('ArrowRight');
}

function fileOf(bytes: number[], name: string): File {
  return new File([new Uint8Array(bytes)], name, { type: 'image/png' });
}

/** happy-dom cannot fill a file input: give it the chosen files and fire change, as a browser would. */
async function chooseFile(file: File): Promise<void> {
  const input = q('search-file-input') as HTMLInputElement;
  Object.defineProperty(input, 'files', { configurable: true, value: [file] });
  input.dispatchEvent(new Event('change'));
  await settle(20);
}

describe('search by example', () => {
  it('finds similar images to the focused library tile with S and shows them nearest first with distances', async () => {
    const client = await mountApp();
    await focusLibraryTile(5);
    await press('s');

    expect(client.callsTo('search.byImage')).toEqual([{ id: summary(5).id, k: 50, filters: undefined }]);
    expect(q('search-view')).not.toBeNull();
    expect(q('search-model')!.textContent).toContain(`Searched with ${fakeModel.name} (${fakeModel.stage})`);
    expect(q('search-query')!.textContent).toContain(summary(5).name);

    const ids = resultTiles().map((tile) => Number(tile.dataset.id));
    expect(ids[0]).toBe(summary(5).id); // the query itself at distance 0
    const shown = distances();
    expect(shown.length).toBeGreaterThan(10);
    for (let i = 1; i < shown.length; i++) expect(shown[i]!).toBeGreaterThanOrEqual(shown[i - 1]!);
    expect(q('grid-item-detail')!.textContent).toBe('0.000');
  });

  it('finds similar from the tile context menu', async () => {
    const client = await mountApp();
    const tile = document.querySelector<HTMLElement>('[data-testid="library-grid"] [data-index="3"]')!;
    tile.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: 100, clientY: 100 }));
    await settle();
    const menu = q('tile-menu')!;
    expect(menu).not.toBeNull();
    // Escape closes the menu without searching.
    await press('Escape');
    expect(q('tile-menu')).toBeNull();
    expect(client.callsTo('search.byImage')).toHaveLength(0);

    tile.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true, clientX: 100, clientY: 100 }));
    await settle();
    q('tile-menu')!.querySelector<HTMLButtonElement>('[data-action="findSimilar"]')!.click();
    await settle(10);
    expect(client.callsTo('search.byImage')).toEqual([{ id: summary(3).id, k: 50, filters: undefined }]);
    expect(resultTiles().length).toBeGreaterThan(0);
  });

  it('finds similar from the viewer (S and the button), opens hits in the viewer and walks them with arrows', async () => {
    const client = await mountApp();
    await focusLibraryTile(2);
    await press('Enter');
    expect(q('viewer')!.dataset.id).toBe(String(summary(2).id));
    await press('s');
    expect(client.callsTo('search.byImage').at(-1)).toMatchObject({ id: summary(2).id });
    expect(q('viewer')).toBeNull(); // the search view shows the results, not the old viewer

    // Open the first hit, step to the second: the viewer walks the results, nearest first.
    await press('Enter');
    const hitIds = resultTiles().map((tile) => tile.dataset.id);
    expect(q('viewer')!.dataset.id).toBe(hitIds[0]);
    await press('ArrowRight');
    expect(q('viewer')!.dataset.id).toBe(hitIds[1]);
    q('viewer-find-similar')!.click();
    await settle(10);
    expect(client.callsTo('search.byImage').at(-1)).toMatchObject({ id: Number(hitIds[1]) });
  });

  it('searches an opened file by its bytes (base64), never a path', async () => {
    const client = await mountApp();
    const bytes = [137, 80, 78, 71, 13, 10, 26, 10, 0, 255, 1, 2, 3];
    await chooseFile(fileOf(bytes, 'scan.png'));
    const calls = client.callsTo('search.byUpload') as RequestOf<'search.byUpload'>[];
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'scan.png', k: 50 });
    expect(calls[0]!.data).toBe(Buffer.from(bytes).toString('base64'));
    expect(q('search-query')!.textContent).toContain('scan.png');
    expect(resultTiles().length).toBeGreaterThan(0);
  });

  it('searches a file dropped anywhere on the window', async () => {
    const client = await mountApp();
    const bytes = [1, 2, 3, 4, 5, 250];
    const drop = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', { value: { types: ['Files'], files: [fileOf(bytes, 'dropped.png')] } });
    q('library-grid')!.dispatchEvent(drop);
    await settle(20);
    expect(drop.defaultPrevented).toBe(true); // the browser must not navigate to the file
    const calls = client.callsTo('search.byUpload') as RequestOf<'search.byUpload'>[];
    expect(calls.map((c) => [c.name, c.data])).toEqual([['dropped.png', Buffer.from(bytes).toString('base64')]]);
    expect(q('search-view')).not.toBeNull();
  });

  it('refuses a file over the upload limit with a sentence, without calling the back end', async () => {
    const client = await mountApp();
    const big = fileOf([1, 2, 3], 'huge.dcm');
    Object.defineProperty(big, 'size', { value: MAX_UPLOAD_BYTES + 1 });
    await chooseFile(big);
    expect(client.callsTo('search.byUpload')).toHaveLength(0);
    expect(q('search-error')!.textContent).toMatch(/huge\.dcm.*64 MB/);
  });

  it('shows a back-end error as a sentence (no trained model)', async () => {
    const client = await mountApp();
    client.override('search.byImage', async () => {
      throw new RpcCallError('unsupported', 'No trained model is installed; search by example needs one.');
    });
    await focusLibraryTile(0);
    await press('s');
    const error = q('search-error')!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.dataset.code).toBe('unsupported');
    expect(error.textContent!.trim()).toBe('No trained model is installed; search by example needs one.');
    expect(resultTiles()).toHaveLength(0);
  });

  it('re-runs the search when k or a filter changes', async () => {
    const client = await mountApp();
    await focusLibraryTile(4);
    await press('s');
    const k = q('search-k') as HTMLSelectElement;
    k.value = '10';
    k.dispatchEvent(new Event('change'));
    await settle(10);
    expect(client.callsTo('search.byImage').at(-1)).toEqual({ id: summary(4).id, k: 10, filters: undefined });
    expect(resultTiles()).toHaveLength(10);

    const folder = q('folder-filter') as HTMLSelectElement;
    folder.value = '1';
    folder.dispatchEvent(new Event('change'));
    await settle(10);
    expect(client.callsTo('search.byImage').at(-1)).toEqual({ id: summary(4).id, k: 10, filters: { folderId: 1 } });
    // Folder 1 holds the odd positions only.
    expect(resultTiles().every((tile) => ((Number(tile.dataset.id) - 1000) / 7) % 2 === 1)).toBe(true);

    const label = q('search-label') as HTMLInputElement;
    label.value = ' Hand ';
    label.dispatchEvent(new Event('change'));
    await settle(10);
    expect(client.callsTo('search.byImage').at(-1)).toEqual({ id: summary(4).id, k: 10, filters: { folderId: 1, label: 'Hand' } });
  });

  it('says when only part of the archive is ranked, embeds it on request with progress, then searches again', async () => {
    const client = await mountApp({ count: 40, embedded: 30 });
    await focusLibraryTile(1);
    await press('s');
    expect(q('search-partial')!.textContent).toBe('Ranked 30 of 40 images – the rest is not embedded yet');
    q('embed-start')!.click();
    await settle();
    expect(client.callsTo('embeddings.start')).toHaveLength(1);

    const progress = { jobId: 21, kind: 'embed', label: '', total: 10, imported: 0, skipped: 0, failed: 0, rate: 4, etaSeconds: 1, message: null };
    client.emit('job.progress', { ...progress, state: 'running', done: 5 });
    await settle();
    expect(q('search-partial')!.textContent).toContain('embedding continues');
    expect(q('embed-progress')!.textContent).toContain('Embedding 50% · 5 / 10');
    expect(q('embed-start')).toBeNull();
    expect(q('status-bar')!.textContent).toContain('Embedding 50%');

    const before = client.callsTo('search.byImage').length;
    client.emit('job.progress', { ...progress, state: 'done', done: 10 });
    await settle(10);
    expect(client.callsTo('search.byImage')).toHaveLength(before + 1);
  });

  it('shows the ML backend in the status bar once the engine runs', async () => {
    const client = await mountApp();
    expect(q('status-backend')!.textContent).toContain('not started');
    client.override('app.info', async () => ({ version: '0.1.0', mode: 'browser', home: '/home', imageCount: 40, backend: 'wasm' }));
    await focusLibraryTile(0);
    await press('s');
    await settle(10);
    expect(q('status-backend')!.textContent).toContain('ML backend: wasm');
  });

  it('opens the file chooser with Ctrl+O and lists the new keys on ?', async () => {
    await mountApp();
    const input = q('search-file-input') as HTMLInputElement;
    let clicked = 0;
    input.addEventListener('click', (event) => {
      clicked++;
      event.preventDefault();
    });
    await press('o', { ctrlKey: true });
    expect(clicked).toBe(1);
    await press('?');
    const help = q('help-overlay')!.textContent ?? '';
    expect(help).toContain('Find images similar to the focused image');
    expect(help).toContain('Find images similar to the shown image');
  });
});

describe('upload encoding', () => {
  it('matches the contract limit and encodes bytes like Node does, across chunk boundaries', () => {
    expect(MAX_UPLOAD_BYTES).toBe(CONTRACT_MAX_UPLOAD_BYTES);
    const bytes = new Uint8Array(100_003);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) % 256;
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
  });
});
