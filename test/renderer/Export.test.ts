// @vitest-environment happy-dom
/**
 * The Export dialog (issue 11 item 5) in the whole App against the fake client: opened from the
 * library (the selection, or everything), the search results (the recorded list) and a series (its
 * instance ids); the preview counts; the destination chosen in the folder browser and sent as a handle;
 * de-identification on by default for DICOM; the date shift and burned-in options sent only with it;
 * the job's progress, Cancel and final message; errors as alerts; keys (E, Enter, Escape, Tab wraps).
 */
import { describe, expect, it } from 'vitest';
import type { JobProgress, RequestOf } from '@shared/rpc/contract';
import { RpcCallError } from '../../renderer/src/rpc/types';
import { librarySelection, parseDateShift, previewText, startRequest } from '../../renderer/src/composables/exportRequest';
import { allSelected, onlyIds } from '../../renderer/src/composables/selection';
import { matchShortcut } from '../../renderer/src/composables/shortcuts';
import { createFakeClient, jobProgress, settle, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';
import { all, mountAppWith, press, q, useAppTests } from './mountApp';
import { fakeSeriesDefs } from './fakeSeries';

useAppTests();

const mountApp = () => mountAppWith(createFakeClient({ count: 30 }));

const dialog = () => q('export-dialog');
const checkbox = (id: string) => q(id) as HTMLInputElement;
const startButton = () => q('export-start') as HTMLButtonElement;
const starts = (client: FakeClient) => client.callsTo('export.start') as RequestOf<'export.start'>[];
const previews = (client: FakeClient) => client.callsTo('export.preview') as RequestOf<'export.preview'>[];

async function click(element: HTMLElement | null, init: MouseEventInit = {}): Promise<void> {
  if (!element) throw new Error('nothing to click');
  element.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, ...init }));
  await settle(10);
}

function libraryTile(index: number): HTMLElement {
  const tile = all('grid-item').find((t) => Number(t.dataset.index) === index);
  if (!tile) throw new Error(`tile ${index} not rendered`);
  return tile;
}

/** The folder browser inside the dialog: Locations > data > dogs, then "Export here". */
async function chooseDogs(): Promise<void> {
  await click(q('export-choose-folder'));
  const browser = q('folder-browser')!;
  expect(browser.textContent).toContain('Export to');
  const entry = (name: string) => all('folder-entry').find((e) => e.querySelector('.entry-name')?.textContent === name) ?? null;
  await click(entry('data'));
  await click(entry('dogs'));
  const choose = q('folder-import')!;
  expect(choose.textContent).toContain('Export here');
  await click(choose);
  expect(q('folder-browser')).toBeNull();
  expect(q('export-destination')!.textContent).toContain('/data/dogs');
}

async function setValue(input: HTMLInputElement, value: string): Promise<void> {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await settle();
}

async function toggle(id: string): Promise<void> {
  // A click on a checkbox flips it and fires change (v-model and @change both listen).
  checkbox(id).click();
  await settle();
}

const progress = (update: Partial<JobProgress>) => jobProgress({ jobId: 31, kind: 'export', label: 'Exporting', total: 2, ...update });

describe('export from the library', () => {
  it('exports everything when nothing is selected: counts from export.preview, de-identify on for DICOM', async () => {
    const client = await mountApp();
    await click(q('library-export'));
    expect(dialog()).not.toBeNull();
    expect(dialog()!.getAttribute('role')).toBe('dialog');
    expect(dialog()!.getAttribute('aria-modal')).toBe('true');
    expect(previews(client)).toEqual([{ selection: { all: true } }]);
    expect(q('export-preview')!.textContent).toContain('Everything in the library');
    expect(q('export-preview')!.textContent).toContain('30 images (28 DICOM, 2 other)');
    expect(all('export-source')).toHaveLength(0);
    expect(checkbox('export-deidentify').checked).toBe(true);
    expect(q('export-not-dicom-note')!.textContent).toContain('Non-DICOM files are skipped when de-identifying (2 here)');
    expect(q('export-burned-in')).toBeNull();
    // No destination yet: nothing to start.
    expect(startButton().disabled).toBe(true);
    await press('Escape');
    expect(dialog()).toBeNull();
  });

  it('exports the selection (E with the grid focused), sends the folder handle, follows the job to its message', async () => {
    const client = await mountApp();
    await click(libraryTile(2));
    await click(libraryTile(5), { ctrlKey: true });
    expect(q('library-grid')!.contains(document.activeElement)).toBe(true);
    await press('e');
    expect(dialog()).not.toBeNull();
    // Two sources: the selection (chosen) or everything.
    const sources = all('export-source') as HTMLInputElement[];
    expect(sources.map((s) => s.value)).toEqual(['selection', 'all']);
    expect(sources[0]!.checked).toBe(true);
    expect(previews(client)).toEqual([{ selection: { imageIds: [summary(2).id, summary(5).id] } }]);
    expect(q('export-preview')!.textContent).toContain('2 images (2 DICOM, 0 other)');

    await chooseDogs();
    expect(startButton().disabled).toBe(false);
    await click(startButton());
    // The handle the folder browser gave, never a path; no date shift or burned-in flag unless asked.
    expect(starts(client)).toEqual([{ handle: 'h-dogs', selection: { imageIds: [summary(2).id, summary(5).id] }, deidentify: true }]);
    expect(q('export-progress')!.dataset.state).toBe('queued');
    expect(q('export-start')).toBeNull();

    client.emit('job.progress', progress({ done: 1, imported: 1 }));
    await settle();
    expect(q('export-progress')!.dataset.state).toBe('running');
    expect(q('export-counts')!.textContent).toBe('1 / 2 · 1 exported · 0 skipped');
    expect(q('export-cancel')).not.toBeNull();

    const message = 'Exported 2 of 2 to /data/dogs/simila-export-2026-01-01T00-00-00-job31.';
    client.emit('job.progress', progress({ state: 'done', done: 2, imported: 2, message }));
    await settle();
    expect(q('export-progress')!.dataset.state).toBe('done');
    expect(q('export-message')!.textContent).toContain(message);
    expect(q('export-message')!.getAttribute('role')).toBe('status');
    expect(q('export-cancel')).toBeNull();
    await click(q('export-done'));
    expect(dialog()).toBeNull();
  });

  it('switches to everything, and cancels a running export', async () => {
    const client = await mountApp();
    await click(libraryTile(1));
    await click(q('library-export'));
    const everything = (all('export-source') as HTMLInputElement[]).find((s) => s.value === 'all')!;
    everything.click();
    await settle(10);
    expect(previews(client).at(-1)).toEqual({ selection: { all: true } });
    expect(q('export-preview')!.textContent).toContain('30 images (28 DICOM, 2 other)');
    await chooseDogs();
    await click(startButton());
    expect(starts(client)[0]!.selection).toEqual({ all: true });
    client.emit('job.progress', progress({ done: 1, imported: 1, total: 30 }));
    await settle();
    await click(q('export-cancel'));
    expect(client.callsTo('jobs.cancel')).toEqual([{ jobId: 31 }]);
    client.emit('job.progress', progress({ state: 'cancelled', done: 1, imported: 1, total: 30 }));
    await settle();
    expect(q('export-message')!.textContent).toContain('cancelled');
  });
});

describe('export options', () => {
  it('warns about burned-in text and sends includeBurnedIn only when "Include them anyway" is ticked', async () => {
    const client = await mountApp();
    client.override('export.preview', async () => ({ images: 12, dicom: 10, notDicom: 2, flaggedBurnedIn: 3 }));
    await click(q('library-export'));
    expect(q('export-preview')!.textContent).toContain('12 images (10 DICOM, 2 other)');
    const warning = q('export-burned-in')!;
    expect(warning.textContent).toContain(
      '3 images may have patient text burned into the pixels (ultrasound, screen captures, or marked so); they are held back unless you include them',
    );
    expect(checkbox('export-include-burned-in').checked).toBe(false);
    await chooseDogs();
    await click(startButton());
    expect(starts(client)[0]).toEqual({ handle: 'h-dogs', selection: { all: true }, deidentify: true });

    // Again, ticked this time.
    await click(q('export-done'));
    await click(q('library-export'));
    await toggle('export-include-burned-in');
    await chooseDogs();
    await click(startButton());
    expect(starts(client)[1]).toEqual({ handle: 'h-dogs', selection: { all: true }, deidentify: true, includeBurnedIn: true });
  });

  it('sends dateShiftDays only with de-identification, and refuses a bad number', async () => {
    const client = await mountApp();
    await click(q('library-export'));
    await chooseDogs();
    const days = q('export-date-shift') as HTMLInputElement;
    await setValue(days, '0');
    expect(q('export-date-shift-error')).not.toBeNull();
    expect(startButton().disabled).toBe(true);
    await setValue(days, '30');
    expect(q('export-date-shift-error')).toBeNull();

    // Without de-identification the shift (and the burned-in choice) are not sent.
    await toggle('export-deidentify');
    expect(checkbox('export-deidentify').checked).toBe(false);
    expect(days.disabled).toBe(true);
    await click(startButton());
    expect(starts(client)[0]).toEqual({ handle: 'h-dogs', selection: { all: true }, deidentify: false });

    await click(q('export-done'));
    await click(q('library-export'));
    await chooseDogs();
    await setValue(q('export-date-shift') as HTMLInputElement, '30');
    // Enter in the field starts the export.
    (q('export-date-shift') as HTMLInputElement).focus();
    await press('Enter');
    expect(starts(client)[1]).toEqual({ handle: 'h-dogs', selection: { all: true }, deidentify: true, dateShiftDays: 30 });
  });

  it('leaves de-identification off when there is no DICOM, and shows back-end errors as alerts', async () => {
    const client = await mountApp();
    client.override('export.preview', async () => ({ images: 4, dicom: 0, notDicom: 4, flaggedBurnedIn: 0 }));
    client.override('export.start', async () => {
      throw new RpcCallError('forbidden', 'That folder cannot be written to.');
    });
    await click(q('library-export'));
    expect(q('export-preview')!.textContent).toContain('4 images (0 DICOM, 4 other)');
    expect(checkbox('export-deidentify').checked).toBe(false);
    await chooseDogs();
    await click(startButton());
    const alert = q('export-error')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('That folder cannot be written to.');
    // Ticking de-identify with no DICOM: nothing would be written, so no start.
    await toggle('export-deidentify');
    expect(q('export-nothing')).not.toBeNull();
    expect(startButton().disabled).toBe(true);
  });

  it('keeps the focus inside (Tab wraps) and starts with Enter once complete', async () => {
    const client = await mountApp();
    await click(q('library-export'));
    expect(document.activeElement).toBe(q('export-choose-folder'));
    await chooseDogs();
    expect(document.activeElement).toBe(q('export-choose-folder'));
    const focusable = [...dialog()!.querySelectorAll<HTMLElement>('button:not([disabled]), input:not([disabled])')];
    focusable.at(-1)!.focus();
    await press('Tab');
    expect(document.activeElement).toBe(focusable[0]);
    await press('Tab', { shiftKey: true });
    expect(document.activeElement).toBe(focusable.at(-1));
    // Enter on a button is the button's; on the dialog itself it starts.
    q('export-choose-folder')!.focus();
    await press('Enter');
    expect(starts(client)).toHaveLength(0);
    dialog()!.focus();
    await press('Enter');
    expect(starts(client)).toHaveLength(1);
  });
});

describe('export from search and from a series', () => {
  it('exports the result list by its listId (button or E)', async () => {
    const client = await mountApp();
    q('library-grid')!.focus();
    await press('ArrowRight');
    await press('s');
    expect(q('search-view')).not.toBeNull();
    await click(q('search-export'));
    expect(previews(client)).toEqual([{ selection: { listId: expect.any(Number) } }]);
    const { listId } = previews(client)[0]!.selection as { listId: number };
    expect(q('export-preview')!.textContent).toContain('results of this search');
    expect(q('export-preview')!.textContent).toContain('10 images (10 DICOM, 0 other)');
    await press('Escape');
    expect(dialog()).toBeNull();
    q('search-results')!.focus();
    await press('E');
    expect(dialog()).not.toBeNull();
    await chooseDogs();
    await click(startButton());
    expect(starts(client)[0]!.selection).toEqual({ listId });
  });

  it('exports a series from its tile menu and from the stack viewer, by its instance ids', async () => {
    const client = await mountApp();
    await click(q('library-mode-series'));
    q('series-tree')!.focus();
    await press('ArrowRight');
    await press('ArrowRight');
    await press('ContextMenu'); // series 13
    await click(q('tile-menu')!.querySelector<HTMLElement>('[data-action="export"]'));
    const ids = fakeSeriesDefs[2]!.positions.map((p) => summary(p).id);
    expect(previews(client)).toEqual([{ selection: { imageIds: ids } }]);
    expect(q('export-preview')!.textContent).toContain('Series');
    expect(q('export-preview')!.textContent).toContain('3 images (3 DICOM, 0 other)');
    await press('Escape');
    expect(dialog()).toBeNull();

    // E on the focused series, then from the stack viewer.
    q('series-tree')!.focus();
    await press('e');
    expect(previews(client).at(-1)).toEqual({ selection: { imageIds: ids } });
    await press('Escape');
    q('series-tree')!.focus();
    await press('Enter');
    expect(q('stack-viewer')).not.toBeNull();
    await click(q('stack-export'));
    expect(previews(client).at(-1)).toEqual({ selection: { imageIds: ids } });
    // Escape closes the dialog, not the stack viewer under it.
    await press('Escape');
    expect(dialog()).toBeNull();
    expect(q('stack-viewer')).not.toBeNull();
  });
});

describe('export request rules', () => {
  it('formats the preview, parses the shift, leaves de-identification-only options out without it', () => {
    expect(previewText({ images: 12, dicom: 10, notDicom: 2, flaggedBurnedIn: 0 })).toBe('12 images (10 DICOM, 2 other)');
    expect(previewText({ images: 1, dicom: 1, notDicom: 0, flaggedBurnedIn: 0 })).toBe('1 image (1 DICOM, 0 other)');
    expect(parseDateShift('')).toEqual({ ok: true, days: null });
    expect(parseDateShift(' 365 ')).toEqual({ ok: true, days: 365 });
    expect(parseDateShift('3651').ok).toBe(false);
    expect(parseDateShift('1.5').ok).toBe(false);
    const form = { handle: 'h', selection: { all: true } as const, dateShiftDays: 7, includeBurnedIn: true };
    expect(startRequest({ ...form, deidentify: false })).toEqual({ handle: 'h', selection: { all: true }, deidentify: false });
    expect(startRequest({ ...form, deidentify: true })).toEqual({ handle: 'h', selection: { all: true }, deidentify: true, dateShiftDays: 7, includeBurnedIn: true });
    expect(matchShortcut('grid', { key: 'e', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false })).toBe('grid.export');
    expect(matchShortcut('series', { key: 'E', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false })).toBe('series.export');
  });

  it('turns the library selection into an export selection (ids; all; all of a filtered library resolved to ids)', async () => {
    const client = createFakeClient({ count: 30 });
    const unfiltered = { folderId: null, filters: undefined };
    expect(await librarySelection(client, onlyIds([1007, 1014]), unfiltered)).toEqual({ imageIds: [1007, 1014] });
    expect(await librarySelection(client, allSelected(), unfiltered)).toEqual({ all: true });
    expect(client.callsTo('library.page')).toHaveLength(0);
    // Ctrl+A in a folder, one image taken out: the ids the grid shows, less that one.
    const all = { ...allSelected(), ids: new Set([summary(3).id]) };
    const resolved = await librarySelection(client, all, { folderId: 1, filters: { modalities: ['CT'] } });
    expect(resolved).toEqual({ imageIds: Array.from({ length: 30 }, (_, i) => summary(i).id).filter((id) => id !== summary(3).id) });
    expect(client.callsTo('library.page')).toEqual([{ offset: 0, limit: 2000, folderId: 1, filters: { modalities: ['CT'] } }]);
  });
});
