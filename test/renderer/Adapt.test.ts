// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { EventOf, RequestOf } from '@shared/rpc/contract';
import { placeSeries } from '../../renderer/src/composables/lineChart';
import { createFakeClient, settle, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';
import { all, mountAppWith, q, unmountApp, useAppTests } from './mountApp';

useAppTests();


const mountApp = () => mountAppWith(createFakeClient({ count: 40 }));

async function openView(label: string): Promise<void> {
  const button = [...document.querySelectorAll<HTMLButtonElement>('nav button')].find((b) => b.textContent?.trim() === label);
  if (!button) throw new Error(`no view ${label}`);
  button.click();
  await settle(10);
}

async function clickTestId(id: string): Promise<void> {
  const el = q(id);
  if (!el) throw new Error(`no ${id}`);
  el.click();
  await settle(10);
}

async function createClass(name: string): Promise<void> {
  const input = q('adapt-class-name') as HTMLInputElement;
  input.value = name;
  input.dispatchEvent(new Event('input'));
  await settle(2);
  await clickTestId('adapt-class-create');
}

/** Ctrl-clicks library tiles at these positions (the library view must be open). */
async function selectInLibrary(indexes: number[]): Promise<void> {
  for (const index of indexes) {
    const tile = document.querySelector<HTMLElement>(`[data-testid="library-grid"] [data-testid="grid-item"][data-index="${index}"]`);
    if (!tile) throw new Error(`no tile ${index}`);
    tile.dispatchEvent(new MouseEvent('click', { bubbles: true, ctrlKey: true }));
    await settle(2);
  }
}

/** A class "Lungs" with the library images at `indexes` as its shots. */
async function classWithShots(client: FakeClient, indexes: number[]): Promise<void> {
  await openView('Teach a class');
  await createClass('Lungs');
  await openView('Library');
  await selectInLibrary(indexes);
  await openView('Teach a class');
  await clickTestId('adapt-add-library');
  expect(client.callsTo('classes.addImages').at(-1)).toEqual({ id: 1, imageIds: indexes.map((i) => summary(i).id), role: 'support' });
}

function progress(jobId: number, step: number, loss: number | null, validation: number | null): EventOf<'adapt.progress'> {
  return { jobId, step, steps: 10, phase: loss === null ? 'features' : 'adapt', loss, validation };
}

function job(jobId: number, kind: string, state: EventOf<'job.progress'>['state'], done = 0): EventOf<'job.progress'> {
  return { jobId, kind, state, label: '', total: 10, done, imported: 0, skipped: 0, failed: 0, rate: 0, etaSeconds: null, message: null };
}

describe('adaptation wizard', () => {
  it('creates a class, adds the library selection as shots and warns while a class has fewer than 3', async () => {
    const client = await mountApp();
    await classWithShots(client, [1, 4]);
    expect(client.callsTo('classes.create')).toEqual([{ name: 'Lungs' }]);
    expect(q('adapt-count-support')!.dataset.count).toBe('2');
    expect(q('adapt-warning')?.textContent).toMatch(/2 of at least 3/);
    expect(all('adapt-shot').map((s) => s.dataset.name)).toEqual([summary(1).name, summary(4).name]);

    await openView('Library');
    await selectInLibrary([7]);
    await openView('Teach a class');
    await clickTestId('adapt-add-library');
    expect(q('adapt-count-support')!.dataset.count).toBe('3');
    expect(q('adapt-warning')).toBeNull();
    // The estimate follows the labels (3 shots x the fake model's 10 steps x 0.01 s).
    expect(client.callsTo('adapt.estimate').at(-1)).toMatchObject({ classIds: [1] });
    expect(Number(q('adapt-estimate')!.dataset.seconds)).toBeCloseTo(0.3);
  });

  it('adds dropped or opened files as uploads and marks a shot held out', async () => {
    const client = await mountApp();
    await classWithShots(client, [0, 1, 2, 3]);
    const file = new File([new Uint8Array([1, 2, 3, 4])], 'scan.png', { type: 'image/png' });
    const input = q('adapt-file-input') as HTMLInputElement;
    Object.defineProperty(input, 'files', { configurable: true, value: [file] });
    await clickTestId('adapt-add-files');
    input.dispatchEvent(new Event('change'));
    await settle(20);
    expect(client.callsTo('classes.addUpload')).toEqual([{ id: 1, name: 'scan.png', data: 'AQIDBA==', role: 'support' }]);
    expect(q('adapt-count-support')!.dataset.count).toBe('5');

    await clickTestId('adapt-holdout-auto');
    expect(client.callsTo('classes.addImages').at(-1)).toMatchObject({ id: 1, role: 'holdout' });
    expect(q('adapt-count-holdout')!.dataset.count).toBe('1');
    expect(all('adapt-shot').filter((s) => s.dataset.role === 'holdout')).toHaveLength(1);
  });

  it("shows the model's own learning rate from the start, never the 0.05 fallback", async () => {
    const client = await mountApp();
    await openView('Teach a class');
    await settle(5);
    // No class yet: an estimate for no classes gives the model's own settings at once (not 0.05).
    expect(client.callsTo('adapt.estimate')).toEqual([{ classIds: [] }]);
    expect(q('adapt-settings')!.dataset.known).toBe('true');
    expect((q('adapt-lr') as HTMLSelectElement).value).toBe('0.5');
    expect((q('adapt-steps') as HTMLInputElement).value).toBe('10');
    await createClass('Lungs');
    await settle(5);
    expect((q('adapt-lr') as HTMLSelectElement).value).toBe('0.5');

    // A wizard opened where classes exist (none chosen) reads the model's settings at once.
    unmountApp();
    await mountAppWith(client);
    const before = client.callsTo('adapt.estimate').length;
    await openView('Teach a class');
    await settle(5);
    expect(client.callsTo('adapt.estimate').slice(before)).toEqual([{ classIds: [] }]);
    expect(q('adapt-settings')!.dataset.known).toBe('true');
    expect((q('adapt-lr') as HTMLSelectElement).value).toBe('0.5');
    expect((q('adapt-steps') as HTMLInputElement).value).toBe('10');
    expect(q('adapt-estimate')).toBeNull(); // no class chosen: no estimate shown
  });

  it("shows the model's own settings and sends only what the analyst changed, until reset", async () => {
    const client = await mountApp();
    await classWithShots(client, [0, 1, 2]);
    await settle(5);
    // The fake parent model records 10 steps at learning rate 0.5 (a meta-learnt inner loop).
    expect((q('adapt-steps') as HTMLInputElement).value).toBe('10');
    expect((q('adapt-lr') as HTMLSelectElement).value).toBe('0.5');
    expect((q('adapt-reset-settings') as HTMLButtonElement).disabled).toBe(true);
    await clickTestId('adapt-start');
    expect((client.callsTo('adapt.start')[0] as RequestOf<'adapt.start'>).settings).toEqual({});

    const lr = q('adapt-lr') as HTMLSelectElement;
    lr.value = '0.01';
    lr.dispatchEvent(new Event('change'));
    await settle(5);
    expect(client.callsTo('adapt.estimate').at(-1)).toMatchObject({ settings: { learningRate: 0.01 } });
    expect((q('adapt-reset-settings') as HTMLButtonElement).disabled).toBe(false);
    await clickTestId('adapt-reset-settings');
    await settle(5);
    expect((q('adapt-lr') as HTMLSelectElement).value).toBe('0.5');
    expect(client.callsTo('adapt.estimate').at(-1)).toMatchObject({ settings: {} });
  });

  it("shows each depth's adaptation and re-embedding cost, all three when the depth is chosen automatically", async () => {
    const client = await mountApp();
    await classWithShots(client, [0, 1, 2]);
    await settle(5);
    // The model's own group: one row, head-only re-embedding for the 60 cached images, from files for the rest.
    expect(all('adapt-depth-last-stage-head')).toHaveLength(1);
    expect(q('adapt-depth-last-two-stages-head')).toBeNull();
    expect(Number(q('adapt-depth-last-stage-head')!.dataset.reembedSeconds)).toBeCloseTo(60 * 0.001 + 40 * 0.02);
    expect(q('adapt-depths')!.textContent).toMatch(/100 archive images/);
    const group = q('adapt-group') as HTMLSelectElement;
    expect([...group.options].map((o) => o.value)).toEqual(expect.arrayContaining(['auto', 'last-two-stages-head']));
    group.value = 'auto';
    group.dispatchEvent(new Event('change'));
    await settle(5);
    expect(client.callsTo('adapt.estimate').at(-1)).toMatchObject({ settings: { group: 'auto' } });
    const rows = ['last-stage-head', 'last-two-stages-head', 'rectifiers'].map((g) => q(`adapt-depth-${g}`)!);
    expect(rows.every((r) => r !== null)).toBe(true);
    expect(Number(rows[1]!.dataset.reembedSeconds)).toBeCloseTo(100 * 0.02);
    expect(Number(rows[1]!.dataset.adaptSeconds)).toBeCloseTo(3 * 10 * 0.03);
    expect(rows[1]!.textContent).toMatch(/0 \/ 100/);
    expect(q('adapt-depths')!.textContent).toMatch(/auto tries each/);
    // 'auto' runs every depth's steps: the estimate is their sum.
    expect(Number(q('adapt-estimate')!.dataset.seconds)).toBeCloseTo(3 * 10 * (0.01 + 0.03 + 0.2));
  });

  it('starts with the chosen settings, draws one chart point per adapt.progress, and cancels', async () => {
    const client = await mountApp();
    await classWithShots(client, [0, 1, 2]);
    const steps = q('adapt-steps') as HTMLInputElement;
    steps.value = '12';
    steps.dispatchEvent(new Event('change'));
    await settle(5);
    await clickTestId('adapt-start');
    const start = client.callsTo('adapt.start')[0] as RequestOf<'adapt.start'>;
    expect(start.classIds).toEqual([1]);
    expect(start.settings).toEqual({ steps: 12 });

    client.emit('adapt.progress', progress(40, 0, null, null));
    const losses = [0.9, 0.7, 0.55, 0.5];
    losses.forEach((loss, i) => client.emit('adapt.progress', progress(40, i + 1, loss, i % 2 === 0 ? 0.5 + i * 0.1 : null)));
    // Another job's steps are not this chart's.
    client.emit('adapt.progress', progress(99, 1, 0.1, 0.1));
    await settle(5);
    const points = all('adapt-chart-point');
    expect(points.filter((p) => p.dataset.series === 'loss').map((p) => Number(p.dataset.value))).toEqual(losses);
    expect(points.filter((p) => p.dataset.series === 'validation').map((p) => Number(p.dataset.x))).toEqual([1, 3]);
    expect(q('adapt-phase')!.textContent).toContain('step 4 of 10');

    await clickTestId('adapt-cancel');
    expect(client.callsTo('jobs.cancel')).toEqual([{ jobId: 40 }]);
    client.emit('job.progress', job(40, 'adapt', 'cancelled'));
    await settle(10);
    expect(client.callsTo('adapt.result')).toEqual([{ jobId: 40 }]);
    expect(q('adapt-cancel')).toBeNull();
  });

  it('shows before / after on held-out shots, activates the profile with its re-embedding, and reverts', async () => {
    const client = await mountApp();
    await classWithShots(client, [0, 1, 2, 3]);
    await clickTestId('adapt-start');
    client.adaptation.finish(40, 0.41, 0.77);
    client.emit('job.progress', job(40, 'adapt', 'done', 10));
    await settle(10);
    expect(q('adapt-before')!.textContent).toContain('0.41');
    expect(q('adapt-after')!.textContent).toContain('0.77');

    await clickTestId('adapt-activate');
    expect(client.callsTo('profiles.activate')).toEqual([{ id: 90 }]);
    expect(q('reembed-progress')!.textContent).toMatch(/queued/);
    client.emit('job.progress', job(77, 'reembed', 'running', 5));
    await settle(5);
    expect(q('reembed-progress')!.textContent).toContain('50%');
    const statusCalls = client.callsTo('embeddings.status').length;
    client.emit('job.progress', job(77, 'reembed', 'done', 10));
    await settle(10);
    // Search re-reads which profile ranks once the archive is re-embedded.
    expect(client.callsTo('embeddings.status').length).toBeGreaterThan(statusCalls);

    const rows = all('profile');
    expect(rows.map((r) => r.dataset.active)).toEqual(['false', 'true']);
    expect(rows[1]!.textContent).toContain('Lungs');
    expect(rows[1]!.textContent).toContain('0.41 → 0.77');
    await clickTestId('profile-revert');
    expect(client.callsTo('profiles.revert')).toEqual([{ id: 90 }]);
    expect(all('profile').map((r) => r.dataset.active)).toEqual(['true', 'false']);
    // The base needs no re-embedding here, and switching back is one click.
    await clickTestId('profile-activate');
    expect(client.callsTo('profiles.activate').at(-1)).toEqual({ id: 90 });
  });
});

describe('line chart geometry', () => {
  it('scales each series to its own range and skips unmeasured points', () => {
    const placed = placeSeries(
      [
        { id: 'a', values: [{ x: 0, y: 2 }, { x: 5, y: 1 }, { x: 10, y: null }] },
        { id: 'b', range: [0, 1], values: [{ x: 10, y: 0.5 }] },
      ],
      { width: 120, height: 60, pad: 10 },
    );
    expect(placed.get('a')).toEqual([
      { at: 0, value: 2, x: 10, y: 10 },
      { at: 5, value: 1, x: 60, y: 50 },
    ]);
    expect(placed.get('b')).toEqual([{ at: 10, value: 0.5, x: 110, y: 30 }]);
  });
});
