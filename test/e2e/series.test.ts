/**
 * The library by series end to end (issue 11), in Chromium against the real server and shipped model:
 * a generated DICOM archive (2 patients, 3 studies, 4 series of 4-6 slices, CT and MR; file names in
 * reverse slice order) is imported through the folder browser; the series tree lists it; a series opens
 * in the stack viewer and the keys step through its slices in order; the facet sidebar filters the grid
 * by modality with matching counts; a search grouped by series (the default for a DICOM query, and
 * "Find similar series" from the stack viewer) returns no two hits of one series.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { embedWholeArchive, importAndWaitForCount, useE2eSession } from './support/simila';
import { defaultSeries, writeDicomSeries } from './support/dicomSeries';

const TOTAL = defaultSeries.reduce((n, s) => n + s.slices, 0);
const CT = defaultSeries.filter((s) => s.modality === 'CT').reduce((n, s) => n + s.slices, 0);
const MR = TOTAL - CT;

async function facetCount(page: Page, field: string, value: string): Promise<number | null> {
  const el = page.locator(`[data-testid="facet-value"][data-field="${field}"][data-value="${value}"]`);
  if ((await el.count()) === 0) return null;
  return Number(await el.getAttribute('data-count'));
}

async function gridIds(page: Page): Promise<number[]> {
  return page
    .getByTestId('library-grid')
    .getByTestId('grid-item')
    .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-id'))).filter((id) => Number.isFinite(id) && id > 0));
}

async function resultIds(page: Page): Promise<number[]> {
  return page
    .getByTestId('search-results')
    .getByTestId('grid-item')
    .evaluateAll((els) =>
      els
        .map((el) => ({ index: Number(el.getAttribute('data-index')), id: Number(el.getAttribute('data-id')) }))
        .sort((a, b) => a.index - b.index)
        .map((t) => t.id),
    );
}

async function openLibrary(page: Page, mode: 'images' | 'series'): Promise<void> {
  await page.getByRole('button', { name: 'Library', exact: true }).click();
  await page.getByTestId(`library-mode-${mode}`).click();
}

describe('library by series end to end (browser mode, real server, Chromium)', () => {
  /** Image id -> series description, learnt through the facet sidebar. */
  const seriesOf = new Map<number, string>();

  const e2e = useE2eSession('simila-e2e-series-', { prepare: (dir) => writeDicomSeries(path.join(dir, 'archive')) });

  it('imports the generated DICOM series and lists them as patient > study > series', async () => {
    await e2e.page.goto(e2e.server.url);
    await importAndWaitForCount(e2e.page, e2e.workDir, TOTAL);
    await openLibrary(e2e.page, 'series');
    await expect.poll(() => e2e.page.getByTestId('series-tile').count(), { timeout: 30_000 }).toBe(defaultSeries.length);
    expect(await e2e.page.getByTestId('tree-patient').count()).toBe(2);
    expect(await e2e.page.getByTestId('tree-study').count()).toBe(3);
    const counts = await e2e.page.getByTestId('series-tile').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-instances'))).sort());
    expect(counts).toEqual(defaultSeries.map((s) => s.slices).sort());
  });

  it('opens a series in the stack viewer and steps through its slices in order with the keyboard', async () => {
    const spec = defaultSeries[0]!;
    const tile = e2e.page.getByTestId('series-tile').filter({ hasText: spec.description });
    await tile.click();
    await e2e.page.keyboard.press('Enter');
    const viewer = e2e.page.getByTestId('stack-viewer');
    await viewer.waitFor();
    await expect.poll(() => e2e.page.getByTestId('stack-position').getAttribute('data-total'), { timeout: 30_000 }).toBe(String(spec.slices));
    await e2e.page.keyboard.press('Home');
    const instance = e2e.page.getByTestId('stack-instance');
    const seen: Array<{ n: number; id: number }> = [];
    for (let i = 0; i < spec.slices; i++) {
      await expect.poll(() => e2e.page.getByTestId('stack-position').getAttribute('data-index')).toBe(String(i));
      seen.push({ n: Number(await instance.getAttribute('data-instance-number')), id: Number(await instance.getAttribute('data-image-id')) });
      // The slice is rendered by main (a windowed PNG of that image).
      await expect.poll(() => e2e.page.getByTestId('stack-image').getAttribute('data-rendered'), { timeout: 30_000 }).toBe('dicom');
      await e2e.page.keyboard.press('ArrowDown');
    }
    // Slice order (image position), whatever order the files were imported in.
    expect(seen.map((s) => s.n)).toEqual(Array.from({ length: spec.slices }, (_, i) => i + 1));
    expect(new Set(seen.map((s) => s.id)).size).toBe(spec.slices);
    expect(await e2e.page.getByTestId('stack-position').textContent()).toContain(`slice ${spec.slices} / ${spec.slices}`);
    await e2e.page.keyboard.press('PageUp');
    await expect.poll(() => instance.getAttribute('data-instance-number')).toBe('1');
    await e2e.page.keyboard.press('End');
    await expect.poll(() => instance.getAttribute('data-instance-number')).toBe(String(spec.slices));
    await e2e.page.keyboard.press('Escape');
    await expect.poll(() => viewer.count()).toBe(0);
  });

  it('filters the grid by modality in the facet sidebar, with counts that follow', async () => {
    await openLibrary(e2e.page, 'images');
    await expect.poll(() => facetCount(e2e.page, 'modality', 'CT'), { timeout: 30_000 }).toBe(CT);
    expect(await facetCount(e2e.page, 'modality', 'MR')).toBe(MR);
    expect(await e2e.page.getByTestId('facet-matching').getAttribute('data-matching')).toBe(String(TOTAL));

    await e2e.page.locator('[data-testid="facet-value"][data-field="modality"][data-value="CT"] input').check();
    await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(CT));
    await expect.poll(() => e2e.page.getByTestId('facet-matching').getAttribute('data-matching')).toBe(String(CT));
    // A field's own counts ignore its own choice (MR stays countable); other fields narrow to CT.
    expect(await facetCount(e2e.page, 'modality', 'MR')).toBe(MR);
    expect(await facetCount(e2e.page, 'bodyPart', 'CHEST')).toBe(CT);
    expect(await facetCount(e2e.page, 'bodyPart', 'HEAD')).toBeNull();
    await expect.poll(async () => (await gridIds(e2e.page)).length).toBe(CT);
    await e2e.page.getByTestId('facet-clear').click();
    await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(TOTAL));

    // Which image belongs to which series (for the grouped search below), through the description facet.
    for (const spec of defaultSeries) {
      const box = e2e.page.locator(`[data-testid="facet-value"][data-field="seriesDescription"][data-value="${spec.description}"] input`);
      await box.check();
      await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(spec.slices));
      await expect.poll(async () => (await gridIds(e2e.page)).length).toBe(spec.slices);
      for (const id of await gridIds(e2e.page)) seriesOf.set(id, spec.description);
      await box.uncheck();
      await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(TOTAL));
    }
    expect(seriesOf.size).toBe(TOTAL);
  });

  it('embeds the archive with the shipped model', async () => {
    await embedWholeArchive(e2e.page);
    expect(await e2e.page.getByTestId('search-error').count()).toBe(0);
  });

  it('searches grouped by series from a DICOM image: no two hits of one series', async () => {
    await openLibrary(e2e.page, 'images');
    await e2e.page.getByTestId('library-grid').getByTestId('grid-item').first().click();
    await e2e.page.keyboard.press('s');
    await expect.poll(() => e2e.page.getByTestId('search-loading').count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => e2e.page.getByTestId('search-results').getByTestId('grid-item').count(), { timeout: 60_000 }).toBeGreaterThan(1);
    expect(await e2e.page.getByTestId('search-group').isChecked()).toBe(true);
    const ids = await resultIds(e2e.page);
    const series = ids.map((id) => seriesOf.get(id));
    expect(series.every(Boolean)).toBe(true);
    expect(new Set(series).size).toBe(series.length);
    expect(series.length).toBe(defaultSeries.length);
    // Each grouped hit says how many of its series' instances were ranked.
    const notes = await e2e.page.getByTestId('search-results').getByTestId('grid-item-note').allTextContents();
    expect(notes).toHaveLength(ids.length);
    for (const note of notes) expect(note).toMatch(/^\d+ in series$/);

    // Leaving out the query's series removes it from the answer.
    const querySeries = series[0];
    await e2e.page.getByTestId('search-exclude').selectOption('series');
    await expect.poll(async () => (await resultIds(e2e.page)).map((id) => seriesOf.get(id)).includes(querySeries), { timeout: 60_000 }).toBe(false);
    await e2e.page.getByTestId('search-exclude').selectOption('none');

    // Ungrouped, several instances of a series come back.
    await e2e.page.getByTestId('search-group').uncheck();
    await expect.poll(async () => (await resultIds(e2e.page)).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(TOTAL - 1);
  });

  it('finds similar series from the stack viewer', async () => {
    await openLibrary(e2e.page, 'series');
    await e2e.page.getByTestId('series-tile').filter({ hasText: defaultSeries[3]!.description }).dblclick();
    await e2e.page.getByTestId('stack-viewer').waitFor();
    await e2e.page.getByTestId('stack-find-similar').click();
    await expect.poll(() => e2e.page.getByTestId('search-query').textContent(), { timeout: 60_000 }).toContain('Series:');
    await expect.poll(() => e2e.page.getByTestId('search-loading').count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => e2e.page.getByTestId('search-results').getByTestId('grid-item').count(), { timeout: 60_000 }).toBeGreaterThan(1);
    const series = (await resultIds(e2e.page)).map((id) => seriesOf.get(id));
    expect(new Set(series).size).toBe(series.length);
    // The query series is the nearest to its own mean.
    expect(series[0]).toBe(defaultSeries[3]!.description);
  });
});
