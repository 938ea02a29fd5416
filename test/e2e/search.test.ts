/**
 * Search by example as a user meets it, in Chromium against the real server and the shipped model:
 * import a labelled fixture (three MedNIST classes, made in a temp folder at test time), let the archive
 * embed, "Find similar" from the library grid by key, then search with a file opened through the file
 * input and with a file dropped on the window. Results must come nearest first and mostly of the
 * query's class (file names carry the class, so tiles can be checked by their names).
 */
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dataRoot, embedWholeArchive, importAndWaitForCount, useE2eSession } from './support/simila';

const CLASSES = ['AbdomenCT', 'CXR', 'Hand'] as const;
const PER_CLASS = 8;
/** Nearest hits checked for the query's class (a class has PER_CLASS - 1 other members). */
const TOP = PER_CLASS - 1;
/**
 * "Mostly of the query's class": a majority of the TOP nearest other images (chance is about 2 of 7).
 * The stage-1 model does not transfer well to MedNIST (issue 4 measures MAP@R 0.69), so no more is asked.
 */
const MIN_SAME_CLASS = 4;

type ClassName = (typeof CLASSES)[number];

/** Copies PER_CLASS images per class into archive/<class>/<class>-NN.jpeg and one more per class as a query file. */
async function makeFixture(root: string): Promise<Record<ClassName, string>> {
  const queries = {} as Record<ClassName, string>;
  for (const name of CLASSES) {
    const source = path.join(dataRoot, 'mednist', name);
    const files = (await readdir(source)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    if (files.length < PER_CLASS + 1) throw new Error(`${source} holds fewer than ${PER_CLASS + 1} images`);
    const target = path.join(root, 'archive', name);
    await mkdir(target, { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      await copyFile(path.join(source, files[i]!), path.join(target, `${name}-${String(i).padStart(2, '0')}${path.extname(files[i]!)}`));
    }
    // A query from outside the archive: the last file of the class.
    const outside = files[files.length - 1]!;
    queries[name] = path.join(root, `query-${name}${path.extname(outside)}`);
    await copyFile(path.join(source, outside), queries[name]);
  }
  return queries;
}

function classOf(name: string | null): string | null {
  return CLASSES.find((c) => name?.startsWith(`${c}-`)) ?? null;
}

interface ShownHit {
  name: string | null;
  distance: number;
}

/** The result tiles in grid order, with their names and the distances shown under them. */
async function shownHits(page: Page): Promise<ShownHit[]> {
  const tiles = page.getByTestId('search-results').getByTestId('grid-item');
  return tiles.evaluateAll((elements) =>
    elements
      .map((el) => ({ index: Number(el.getAttribute('data-index')), name: el.getAttribute('aria-label'), distance: Number(el.getAttribute('data-detail')) }))
      .sort((a, b) => a.index - b.index)
      .map(({ name, distance }) => ({ name, distance })),
  );
}

function expectNearestFirst(hits: ShownHit[]): void {
  expect(hits.length).toBeGreaterThanOrEqual(TOP);
  for (const hit of hits) expect(Number.isFinite(hit.distance)).toBe(true);
  for (let i = 1; i < hits.length; i++) expect(hits[i]!.distance).toBeGreaterThanOrEqual(hits[i - 1]!.distance);
}

function sameClassAmongTop(hits: ShownHit[], wanted: string, exclude: string | null): number {
  return hits
    .filter((hit) => hit.name !== exclude)
    .slice(0, TOP)
    .filter((hit) => classOf(hit.name) === wanted).length;
}

describe('search by example end to end (browser mode, real server, Chromium)', () => {
  let queries: Record<ClassName, string>;

  const e2e = useE2eSession('simila-e2e-search-', {
    prepare: async (dir) => {
      queries = await makeFixture(dir);
    },
  });

  it('imports the labelled fixture', async () => {
    await e2e.page.goto(e2e.server.url);
    await importAndWaitForCount(e2e.page, e2e.workDir, CLASSES.length * PER_CLASS, 30_000);
  });

  it('embeds the whole archive with the shipped model', async () => {
    await embedWholeArchive(e2e.page);
    expect(await e2e.page.getByTestId('search-error').count()).toBe(0);
  });

  it('finds similar images from the library grid by key: nearest first, mostly of the query class', async () => {
    await e2e.page.getByRole('button', { name: 'Library', exact: true }).click();
    // A fixed query: the grid lists images in import order, which parallel decoding makes vary from run to
    // run, and one of the eight Hand images (Hand-05) is an outlier far from every other image.
    const query = e2e.page.getByTestId('library-grid').locator('[data-testid="grid-item"][aria-label="Hand-02.jpeg"]');
    const queryName = await query.getAttribute('aria-label');
    await query.click();
    await e2e.page.keyboard.press('s');

    await expect.poll(() => e2e.page.getByTestId('search-query').textContent(), { timeout: 60_000 }).toContain(queryName ?? '?');
    await expect.poll(() => e2e.page.getByTestId('search-results').getByTestId('grid-item').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(TOP);
    expect(await e2e.page.getByTestId('search-model').textContent()).toMatch(/Searched with \S+ \(\w+\)/);

    const hits = await shownHits(e2e.page);
    expectNearestFirst(hits);
    // The query may be left out of its own results; where it is listed, it comes first.
    const self = hits.findIndex((hit) => hit.name === queryName);
    if (self >= 0) expect(hits[self]!.distance).toBe(hits[0]!.distance);
    expect(sameClassAmongTop(hits, 'Hand', queryName)).toBeGreaterThanOrEqual(MIN_SAME_CLASS);
    // The engine ran: the status bar names its backend.
    await expect.poll(() => e2e.page.getByTestId('status-backend').textContent()).not.toMatch(/not started/);
  });

  it('searches a file opened through "Open file…"', async () => {
    await e2e.page.setInputFiles('[data-testid="search-file-input"]', queries.CXR);
    const name = path.basename(queries.CXR);
    await expect.poll(() => e2e.page.getByTestId('search-query').getAttribute('data-kind'), { timeout: 60_000 }).toBe('upload');
    await expect.poll(() => e2e.page.getByTestId('search-query').textContent(), { timeout: 60_000 }).toContain(name);
    await expect.poll(() => e2e.page.getByTestId('search-loading').count(), { timeout: 60_000 }).toBe(0);
    expect(await e2e.page.getByTestId('search-error').count()).toBe(0);
    const hits = await shownHits(e2e.page);
    expectNearestFirst(hits);
    expect(sameClassAmongTop(hits, 'CXR', null)).toBeGreaterThanOrEqual(MIN_SAME_CLASS);
  });

  it('searches a file dropped on the window', async () => {
    const bytes = await readFile(queries.AbdomenCT);
    const name = path.basename(queries.AbdomenCT);
    await e2e.page.getByRole('button', { name: 'Library', exact: true }).click();
    await e2e.page.evaluate(
      ({ base64, fileName }) => {
        const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([raw], fileName, { type: 'image/jpeg' }));
        const target = document.querySelector('[data-testid="library-grid"]') ?? document.body;
        target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: transfer }));
        target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
      },
      { base64: bytes.toString('base64'), fileName: name },
    );
    await expect.poll(() => e2e.page.getByTestId('search-query').textContent(), { timeout: 60_000 }).toContain(name);
    await expect.poll(() => e2e.page.getByTestId('search-loading').count(), { timeout: 60_000 }).toBe(0);
    expect(await e2e.page.getByTestId('search-error').count()).toBe(0);
    const hits = await shownHits(e2e.page);
    expectNearestFirst(hits);
    expect(sameClassAmongTop(hits, 'AbdomenCT', null)).toBeGreaterThanOrEqual(MIN_SAME_CLASS);
  });
});
