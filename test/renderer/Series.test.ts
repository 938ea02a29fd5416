// @vitest-environment happy-dom
/**
 * The library by series (issue 11) in the whole App against the fake client: the facet sidebar (counts,
 * filters sent to facets, grid, tree and search), the series tree and the stack viewer by keyboard
 * (slice order, PageDown/End/Home, window kept across slices, frames as slices, cine), and grouped search
 * (default by query kind, the switch, leave-out, "n in series", whole-series marks, find similar series).
 */
import { describe, expect, it } from 'vitest';
import type { RequestOf, SearchFilters } from '@shared/rpc/contract';
import { FILTER_DEBOUNCE_MS } from '../../renderer/src/composables/useLibraryFilters';
import { buildStack, cineNext, nextFps, stepSlice } from '../../renderer/src/composables/stack';
import { createFakeClient, settle, summary } from './fakeClient';
import type { FakeClient } from './fakeClient';
import { all, mountAppWith, press, q, useAppTests } from './mountApp';
import { fakeSeriesDefs } from './fakeSeries';

useAppTests();

async function mountApp(options: { dicom?: boolean } = {}): Promise<FakeClient> {
  const client = createFakeClient({ count: 30 });
  if (options.dicom) {
    client.override('library.page', async ({ offset, limit }) => ({
      total: 30,
      items: Array.from({ length: Math.max(0, Math.min(limit, 30 - offset)) }, (_, i) => ({ ...summary(offset + i), format: 'dicom' })),
    }));
  }
  return mountAppWith(client);
}

const waitDebounce = () => new Promise((resolve) => setTimeout(resolve, FILTER_DEBOUNCE_MS + 60));

function facetValue(field: string, value: string): HTMLElement | undefined {
  return all('facet-value').find((el) => el.dataset.field === field && el.dataset.value === value);
}

async function toggleFacet(field: string, value: string): Promise<void> {
  const box = facetValue(field, value)!.querySelector<HTMLInputElement>('input')!;
  box.click();
  await settle();
}

async function showSeries(): Promise<void> {
  q('library-mode-series')!.click();
  await settle(10);
  q('series-tree')!.focus();
}

type Render = RequestOf<'dicom.render'>;
const renders = (client: FakeClient) => client.callsTo('dicom.render') as Render[];
const position = () => Number(q('stack-position')!.dataset.index);
const shownImage = () => Number(q('stack-instance')!.dataset.imageId);

describe('facet sidebar', () => {
  it('shows the counts per value and the study-date bounds from library.facets', async () => {
    const client = await mountApp();
    expect(client.callsTo('library.facets')[0]).toEqual({});
    expect(facetValue('modality', 'CT')!.dataset.count).toBe('15');
    expect(facetValue('modality', 'MR')!.dataset.count).toBe('5');
    expect(facetValue('modality', 'CT')!.textContent).toContain('15');
    expect(q('facet-matching')!.textContent).toContain('20 images');
    const from = q('facet-date-from') as HTMLInputElement;
    expect(from.min).toBe('2019-05-01');
    expect((q('facet-date-to') as HTMLInputElement).max).toBe('2021-07-31');
  });

  it('sends a ticked value, once settled, to the facets, the grid, the tree and a running search', async () => {
    const client = await mountApp();
    // A search is on screen: it must follow the library filters too.
    q('library-grid')!.focus();
    await press('ArrowRight');
    await press('s');
    const searches = client.callsTo('search.byImage').length;
    document.querySelector<HTMLButtonElement>('nav button')!.click(); // back to the Library
    await settle(10);

    const facetsBefore = client.callsTo('library.facets').length;
    await toggleFacet('modality', 'MR');
    await toggleFacet('modality', 'CT');
    await toggleFacet('modality', 'CT'); // ticked and unticked again before the pause
    // The box ticks at once; nothing is asked until the edits settle.
    expect(facetValue('modality', 'MR')!.querySelector<HTMLInputElement>('input')!.checked).toBe(true);
    expect(client.callsTo('library.facets')).toHaveLength(facetsBefore);
    await waitDebounce();
    await settle(10);

    const wanted: SearchFilters = { modalities: ['MR'] };
    // One round of requests for the three edits.
    expect(client.callsTo('library.facets')).toHaveLength(facetsBefore + 1);
    expect(client.callsTo('library.facets').at(-1)).toEqual({ filters: wanted });
    expect(client.callsTo('library.page').at(-1)).toMatchObject({ filters: wanted });
    expect(client.callsTo('search.byImage')).toHaveLength(searches + 1);
    expect(client.callsTo('search.byImage').at(-1)).toMatchObject({ filters: wanted });
    // Counts follow: MR series only match, CT stays countable (its field ignores its own choice).
    expect(q('facet-matching')!.textContent).toContain('5 of 20');
    expect(facetValue('modality', 'CT')!.dataset.count).toBe('15');
    expect(q('facet-toggle')!.textContent).toContain('(1)');

    await showSeries();
    expect(client.callsTo('library.tree').at(-1)).toEqual({ filters: wanted });
    expect(all('series-tile').map((t) => t.dataset.modality)).toEqual(['MR', 'MR']);

    q('facet-clear')!.click();
    await settle(10);
    expect(client.callsTo('library.facets').at(-1)).toEqual({});
    expect(client.callsTo('library.tree').at(-1)).toEqual({});
    expect(all('series-tile')).toHaveLength(fakeSeriesDefs.length);
  });

  it('sends a study-date range and folds away', async () => {
    const client = await mountApp();
    const from = q('facet-date-from') as HTMLInputElement;
    from.value = '2020-01-01';
    from.dispatchEvent(new Event('change'));
    await waitDebounce();
    await settle(10);
    expect(client.callsTo('library.page').at(-1)).toMatchObject({ filters: { studyDateFrom: '2020-01-01' } });
    q('facet-toggle')!.click();
    await settle();
    expect(q('facet-sidebar')).toBeNull();
    expect(q('facet-toggle')!.getAttribute('aria-expanded')).toBe('false');
  });
});

describe('series tree and stack viewer', () => {
  it('shows patients, studies and series tiles with their middle image, count and note', async () => {
    const client = await mountApp();
    await showSeries();
    expect(client.callsTo('library.tree')).toEqual([{}]);
    expect(all('tree-patient')).toHaveLength(2);
    expect(all('tree-study')).toHaveLength(3);
    const tiles = all('series-tile');
    expect(tiles.map((t) => Number(t.dataset.seriesId))).toEqual([11, 12, 13, 14]);
    expect(tiles[0]!.querySelector('img')!.getAttribute('src')).toBe(`fake-img://thumb/${summary(12).id}`);
    expect(tiles[0]!.querySelector('[data-testid="series-count"]')!.textContent).toBe('13');
    expect(tiles[3]!.querySelector('[data-testid="series-note"]')!.textContent).toBe('No Series Instance UID');
    expect(q('series-tree')!.getAttribute('aria-activedescendant')).toBe('series-tile-0');
    await press('ArrowRight');
    expect(q('series-tree')!.getAttribute('aria-activedescendant')).toBe('series-tile-1');

    // G switches between the grouped tree and the flat grid, the keys following.
    await press('g');
    expect(q('series-tree')).toBeNull();
    expect(q('library-grid')).not.toBeNull();
    expect(document.activeElement).toBe(q('library-grid'));
    await press('g');
    expect(q('series-tree')).not.toBeNull();
    expect(q('library-mode-series')!.getAttribute('aria-pressed')).toBe('true');
  });

  it('opens a series with Enter and steps slices with the keys in the order main gives', async () => {
    const client = await mountApp();
    await showSeries();
    await press('Enter');
    await settle(10);
    expect(q('stack-viewer')).not.toBeNull();
    expect(client.callsTo('library.series')).toEqual([{ seriesId: 11 }]);
    const order = fakeSeriesDefs[0]!.positions.map((p) => summary(p).id);
    // Opens at the middle slice, the one the tile shows.
    expect(position()).toBe(6);
    expect(q('stack-position')!.textContent).toContain('slice 7 / 13');
    expect(shownImage()).toBe(order[6]);
    expect(q('stack-instance')!.textContent).toContain('Instance 7');

    await press('ArrowDown');
    expect(position()).toBe(7);
    expect(shownImage()).toBe(order[7]);
    expect(renders(client).at(-1)).toMatchObject({ id: order[7], frame: 0 });
    await press('ArrowUp');
    expect(position()).toBe(6);
    await press('ArrowRight');
    expect(position()).toBe(7);
    await press('PageDown');
    expect(position()).toBe(12); // clamped at the end
    await press('Home');
    expect(position()).toBe(0);
    expect(shownImage()).toBe(order[0]);
    await press('PageDown');
    expect(position()).toBe(10);
    await press('PageUp');
    expect(position()).toBe(0);
    await press('End');
    expect(position()).toBe(12);
    expect(q('stack-image')!.getAttribute('src')).toContain(`${order[12]}-0-`);

    // The wheel moves one slice a notch; the slider jumps.
    q('stack-viewer')!.querySelector('.stage')!.dispatchEvent(new WheelEvent('wheel', { deltaY: -100, bubbles: true, cancelable: true }));
    await settle(10);
    expect(position()).toBe(11);
    const slider = q('stack-slider') as HTMLInputElement;
    slider.value = '3';
    slider.dispatchEvent(new Event('input'));
    await settle(10);
    expect(position()).toBe(2);

    await press('Escape');
    expect(q('stack-viewer')).toBeNull();
  });

  it('keeps the chosen window for every slice', async () => {
    const client = await mountApp();
    await showSeries();
    await press('Enter');
    await settle(10);
    await press('2'); // lung
    expect(renders(client).at(-1)).toMatchObject({ window: { width: 1500, center: -600 } });
    await press('ArrowDown');
    await press('PageDown');
    const last = renders(client).at(-1)!;
    expect(last.id).toBe(summary(fakeSeriesDefs[0]!.positions[12]!).id);
    expect(last.window).toMatchObject({ width: 1500, center: -600 });
    expect(q('dicom-window')!.textContent).toBe('W 1500 / L -600');
    await press('i');
    await press('ArrowUp');
    expect(renders(client).at(-1)).toMatchObject({ window: { width: 1500, center: -600 }, invert: true });
  });

  it('steps the frames of a multi-frame instance as slices', async () => {
    const client = await mountApp();
    await showSeries();
    await press('ArrowRight'); // series 12: two instances of three frames
    await press('Enter');
    await settle(10);
    const [a, b] = fakeSeriesDefs[1]!.positions.map((p) => summary(p).id);
    expect(q('stack-position')!.dataset.total).toBe('6');
    await press('Home');
    const seen: Array<[number, number]> = [];
    for (let i = 0; i < 6; i++) {
      const last = renders(client).at(-1)!;
      seen.push([last.id, last.frame]);
      await press('ArrowDown');
    }
    expect(seen).toEqual([
      [a, 0],
      [a, 1],
      [a, 2],
      [b, 0],
      [b, 1],
      [b, 2],
    ]);
    // Frames of the same instance only render again (no new header request).
    expect(client.callsTo('dicom.info').filter((r) => (r as { id: number }).id === a)).toHaveLength(1);
    expect(q('stack-instance')!.textContent).toContain('frame 3 / 3');
  });

  it('plays cine with P or Space at the chosen rate, and finds similar series with S', async () => {
    const client = await mountApp();
    await showSeries();
    await press('Enter');
    await settle(10);
    expect(q('stack-cine')!.getAttribute('aria-pressed')).toBe('false');
    expect((q('stack-fps') as HTMLSelectElement).value).toBe('10');
    await press(']');
    expect((q('stack-fps') as HTMLSelectElement).value).toBe('15');
    await press('p');
    expect(q('stack-cine')!.getAttribute('aria-pressed')).toBe('true');
    const start = position();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(position()).not.toBe(start);
    await press(' ');
    expect(q('stack-cine')!.getAttribute('aria-pressed')).toBe('false');
    const stopped = position();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(position()).toBe(stopped);

    await press('s');
    await settle(10);
    expect(q('stack-viewer')).toBeNull();
    expect(client.callsTo('search.bySeries')).toEqual([{ seriesId: 11, k: 50, filters: undefined, group: 'series' }]);
    expect(q('search-query')!.textContent).toContain('Series: CT AXIAL 5mm');
  });

  it('adds every instance of a series to a class from the tile menu', async () => {
    const client = await mountApp();
    await showSeries();
    await press('ArrowRight', {});
    await press('ArrowRight');
    await press('ContextMenu'); // series 13
    q('tile-menu')!.querySelector<HTMLButtonElement>('[data-action="addToClass"]')!.click();
    await settle(10);
    expect(q('class-picker')).not.toBeNull();
    const name = q('class-picker-name') as HTMLInputElement;
    name.value = 'Lesion';
    name.dispatchEvent(new Event('input'));
    await settle();
    q('class-picker')!.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle(20);
    const added = client.callsTo('classes.addImages') as RequestOf<'classes.addImages'>[];
    expect(added).toHaveLength(1);
    expect(added[0]!.imageIds).toEqual(fakeSeriesDefs[2]!.positions.map((p) => summary(p).id));
    expect(q('class-picker')).toBeNull();
    expect(q('library-notice')!.textContent).toContain('Added 3 images');
  });
});

describe('grouped search', () => {
  it('groups by series by default for a DICOM query, and the switch and leave-out search again', async () => {
    const client = await mountApp({ dicom: true });
    q('library-grid')!.focus();
    await press('ArrowRight'); // position 0: series 11
    await press('s');
    expect(client.callsTo('search.byImage')).toEqual([{ id: summary(0).id, k: 50, filters: undefined, group: 'series' }]);
    const group = q('search-group') as HTMLInputElement;
    expect(group.checked).toBe(true);

    // One tile per series, each saying how many of its instances were ranked.
    const tiles = all('grid-item').filter((t) => t.closest('[data-testid="search-results"]'));
    const notes = tiles.map((t) => t.dataset.note);
    expect(notes[0]).toBe('13 in series');
    expect(tiles[0]!.querySelector('[data-testid="grid-item-note"]')!.textContent).toBe('13 in series');
    expect(Number(tiles[0]!.dataset.detail)).toBe(0); // the distance stays the detail figure

    const exclude = q('search-exclude') as HTMLSelectElement;
    exclude.value = 'series';
    exclude.dispatchEvent(new Event('change'));
    await settle(10);
    expect(client.callsTo('search.byImage').at(-1)).toEqual({ id: summary(0).id, k: 50, filters: undefined, group: 'series', exclude: 'series' });

    group.click();
    await settle(10);
    expect(client.callsTo('search.byImage').at(-1)).toEqual({ id: summary(0).id, k: 50, filters: undefined, exclude: 'series' });
    expect(all('grid-item-note')).toHaveLength(0);
  });

  it('does not group a plain image query by default', async () => {
    const client = await mountApp();
    q('library-grid')!.focus();
    await press('ArrowRight');
    await press('s');
    expect(client.callsTo('search.byImage')).toEqual([{ id: summary(0).id, k: 50, filters: undefined }]);
    expect((q('search-group') as HTMLInputElement).checked).toBe(false);
    expect(q('feedback-whole-series')).toBeNull();
  });

  it('marks every instance of a hit’s series with "Whole series"', async () => {
    const client = await mountApp({ dicom: true });
    q('library-grid')!.focus();
    for (let i = 0; i < 6; i++) await press('ArrowRight'); // position 5: series 13
    await press('s');
    const whole = q('feedback-whole-series') as HTMLInputElement;
    expect(whole).not.toBeNull();
    whole.click();
    await settle();
    q('search-results')!.focus();
    await press('1'); // the focused (first) hit: the query itself, of series 13
    await settle(10);
    const judged = client.callsTo('feedback.judge') as RequestOf<'feedback.judge'>[];
    expect(judged).toHaveLength(1);
    expect([...judged[0]!.imageIds].sort((x, y) => x - y)).toEqual(fakeSeriesDefs[2]!.positions.map((p) => summary(p).id));
    expect(judged[0]!.judgement).toBe('relevant');
    expect(client.callsTo('library.series')).toEqual([{ seriesId: 13 }]);
  });
});

describe('stack model', () => {
  it('treats (instance, frame) pairs as slices, clamps steps and loops cine', () => {
    const stack = buildStack([
      { imageId: 1, instanceNumber: 1, slicePosition: 0, frames: 1 },
      { imageId: 2, instanceNumber: 2, slicePosition: 5, frames: 2 },
    ]);
    expect(stack.map((s) => [s.imageId, s.frame])).toEqual([
      [1, 0],
      [2, 0],
      [2, 1],
    ]);
    expect(stepSlice(1, 10, 3)).toBe(2);
    expect(stepSlice(1, -10, 3)).toBe(0);
    expect(cineNext(2, 3)).toBe(0);
    expect(nextFps(10, 1)).toBe(15);
    expect(nextFps(1, -1)).toBe(1);
  });
});
