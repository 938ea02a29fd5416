/**
 * Relevance feedback as an analyst meets it, in Chromium against the real server and the shipped model:
 * import a labelled fixture (three MedNIST classes made in a temp folder at test time), embed, "Find
 * similar", judge the top 10 with the keyboard by their true class (the file name carries it), read
 * precision@10 and its coverage ("10 of 10 judged"; P@20 with half its ranks unjudged shows its range)
 * from the panel, re-rank (the new list's figures say how many of their ranks are judged), (a new round whose precision@10 of the judged part is at least
 * the first round's, with the rejected left out), then restart the server and open the same search
 * again: the judgements and both rounds are still there and the rejected images stay out.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dataRoot, embedWholeArchive, importAndWaitForCount, useE2eSession } from './support/simila';

const CLASSES = ['AbdomenCT', 'CXR', 'Hand'] as const;
const PER_CLASS = 10;
const QUERY_CLASS = 'Hand';
const JUDGED = 10;

async function makeFixture(root: string): Promise<void> {
  for (const name of CLASSES) {
    const source = path.join(dataRoot, 'mednist', name);
    const files = (await readdir(source)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    if (files.length < PER_CLASS) throw new Error(`${source} holds fewer than ${PER_CLASS} images`);
    const target = path.join(root, 'archive', name);
    await mkdir(target, { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      await copyFile(path.join(source, files[i]!), path.join(target, `${name}-${String(i).padStart(2, '0')}${path.extname(files[i]!)}`));
    }
  }
}

interface ShownTile {
  id: number;
  name: string;
  mark: string | null;
}

async function shownTiles(page: Page): Promise<ShownTile[]> {
  return page
    .getByTestId('search-results')
    .getByTestId('grid-item')
    .evaluateAll((elements) =>
      elements
        .map((el) => ({
          index: Number(el.getAttribute('data-index')),
          id: Number(el.getAttribute('data-id')),
          name: el.getAttribute('data-name') ?? '',
          mark: el.getAttribute('data-mark'),
        }))
        .sort((a, b) => a.index - b.index)
        .map(({ id, name, mark }) => ({ id, name, mark })),
    );
}

async function focusedTile(page: Page): Promise<{ index: number; id: number; name: string }> {
  const tile = page.locator('[data-testid="search-results"] [data-testid="grid-item"].focused');
  return { index: Number(await tile.getAttribute('data-index')), id: Number(await tile.getAttribute('data-id')), name: (await tile.getAttribute('data-name')) ?? '' };
}

interface RoundRow {
  listId: number;
  kind: string | null;
  p10: number | null;
  current: boolean;
}

async function rounds(page: Page): Promise<RoundRow[]> {
  return page.getByTestId('feedback-round').evaluateAll((rows) =>
    rows.map((row) => ({
      listId: Number(row.getAttribute('data-list-id')),
      kind: row.getAttribute('data-kind'),
      p10: row.getAttribute('data-p10') ? Number(row.getAttribute('data-p10')) : null,
      current: row.getAttribute('aria-current') === 'true',
    })),
  );
}

const numberOf = async (page: Page, testid: string, attribute: string) => Number(await page.getByTestId(testid).getAttribute(attribute));

/** From the library grid: focus the tile named `name`, press S, wait for the results and the panel. */
async function findSimilar(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Library', exact: true }).click();
  await page.getByTestId('library-grid').locator(`[data-testid="grid-item"][data-name="${name}"]`).click();
  await page.keyboard.press('s');
  await expect.poll(() => page.getByTestId('search-query').textContent(), { timeout: 60_000 }).toContain(name);
  await expect.poll(() => page.getByTestId('search-results').getByTestId('grid-item').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(JUDGED);
  await expect.poll(() => page.getByTestId('feedback-round').count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.getByTestId('search-results').focus();
}

describe('relevance feedback end to end (browser mode, real server, Chromium)', () => {
  let queryName = '';
  const relevantIds: number[] = [];
  const rejectedIds: number[] = [];
  let firstRoundP10 = 0;

  const e2e = useE2eSession('simila-e2e-feedback-', { prepare: makeFixture, viewport: { width: 1400, height: 900 } });

  it('imports and embeds the labelled fixture', async () => {
    await e2e.page.goto(e2e.server.url);
    await importAndWaitForCount(e2e.page, e2e.workDir, CLASSES.length * PER_CLASS, 30_000);

    await embedWholeArchive(e2e.page);
  });

  it('judges the top results with the keyboard by their true class and shows precision@10', async () => {
    queryName = `${QUERY_CLASS}-00.jpeg`;
    const names = await e2e.page.getByTestId('library-grid').getByTestId('grid-item').evaluateAll((els) => els.map((el) => el.getAttribute('data-name')));
    queryName = names.find((n) => n?.startsWith(`${QUERY_CLASS}-`)) ?? queryName;
    await findSimilar(e2e.page, queryName);
    expect(await e2e.page.getByTestId('feedback-model').textContent()).toMatch(/Ranked by \S+/);
    // The first search of this query: one round, nothing judged.
    expect((await rounds(e2e.page)).map((r) => r.kind)).toEqual(['search']);

    for (let rank = 0; rank < JUDGED; rank++) {
      const tile = await focusedTile(e2e.page);
      expect(tile.index).toBe(rank); // each mark moves the focus on
      const relevant = tile.name.startsWith(`${QUERY_CLASS}-`);
      (relevant ? relevantIds : rejectedIds).push(tile.id);
      await e2e.page.keyboard.press(relevant ? '1' : '2');
    }
    await expect.poll(() => numberOf(e2e.page, 'feedback-judged', 'data-judged'), { timeout: 10_000 }).toBe(JUDGED);
    firstRoundP10 = relevantIds.length / JUDGED;
    expect(await numberOf(e2e.page, 'feedback-p10', 'data-value')).toBeCloseTo(firstRoundP10, 6);
    expect(await e2e.page.getByTestId('feedback-p10').textContent()).toBe(firstRoundP10.toFixed(2));
    // Each figure says what it rests on: the whole top 10 judged, so no range; P@20 has unjudged ranks.
    expect(await e2e.page.getByTestId('feedback-p10-coverage').textContent()).toContain('10 of 10 judged');
    expect(await e2e.page.getByTestId('feedback-p10-range').count()).toBe(0);
    const coverage20 = (await e2e.page.getByTestId('feedback-p20-coverage').textContent())!.replace(/\s+/g, ' ');
    const positions20 = Number(/10 of (\d+) judged/.exec(coverage20)?.[1]);
    expect(positions20).toBeGreaterThan(10);
    const low20 = relevantIds.length / positions20;
    const high20 = (relevantIds.length + positions20 - JUDGED) / positions20;
    expect(await e2e.page.getByTestId('feedback-p20').textContent()).toBe(low20.toFixed(2));
    expect(coverage20).toContain(`range ${low20.toFixed(2)}–${high20.toFixed(2)}`);
    const marks = new Map((await shownTiles(e2e.page)).map((t) => [t.id, t.mark]));
    for (const id of relevantIds) expect(marks.get(id)).toBe('relevant');
    for (const id of rejectedIds) expect(marks.get(id)).toBe('not_relevant');
    expect(relevantIds.length).toBeGreaterThan(0); // the shipped model finds some of its class near the top
  });

  it('re-ranks into a new round: precision@10 at least the first round, the rejected out', async () => {
    await e2e.page.keyboard.press('r');
    await expect.poll(async () => (await rounds(e2e.page)).length, { timeout: 30_000 }).toBe(2);
    const [first, second] = await rounds(e2e.page);
    expect(second!.kind).toBe('rerank');
    expect(second!.current).toBe(true);
    expect(first!.p10).toBeCloseTo(firstRoundP10, 6);
    expect(second!.p10).not.toBeNull();
    expect(second!.p10!).toBeGreaterThanOrEqual(first!.p10!);
    expect(await numberOf(e2e.page, 'feedback-p10', 'data-value')).toBeCloseTo(second!.p10!, 6);
    // The re-ranked top 10: the relevant on top, then unjudged images; the figure counts those as not
    // relevant and says how many ranks are judged, with the range while some are not.
    const judged10 = await numberOf(e2e.page, 'feedback-p10', 'data-judged');
    expect(judged10).toBe(Math.min(10, relevantIds.length));
    expect(await e2e.page.getByTestId('feedback-p10').textContent()).toBe((judged10 / 10).toFixed(2));
    const coverage10 = (await e2e.page.getByTestId('feedback-p10-coverage').textContent())!.replace(/\s+/g, ' ');
    expect(coverage10).toContain(`${judged10} of 10 judged`);
    if (judged10 < 10) expect(coverage10).toContain(`range ${(judged10 / 10).toFixed(2)}–1.00`);
    expect(await e2e.page.getByTestId('feedback-chart-point').count()).toBe(2);

    const shown = await shownTiles(e2e.page);
    const shownIds = new Set(shown.map((t) => t.id));
    for (const id of rejectedIds) expect(shownIds.has(id)).toBe(false);
    for (const id of relevantIds) expect(shownIds.has(id)).toBe(true);
  });

  it('keeps the judgements and the rounds after a server restart; the rejected stay out', async () => {
    await e2e.restartServer();
    await e2e.page.goto(e2e.server.url);
    await expect.poll(() => e2e.page.getByTestId('grid-count').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`\\b${CLASSES.length * PER_CLASS}\\b`));

    await findSimilar(e2e.page, queryName);
    await expect.poll(async () => (await rounds(e2e.page)).map((r) => r.kind), { timeout: 30_000 }).toEqual(['search', 'rerank', 'search']);
    const history = await rounds(e2e.page);
    expect(history[0]!.p10).toBeCloseTo(firstRoundP10, 6);
    expect(history[1]!.p10!).toBeGreaterThanOrEqual(firstRoundP10);
    expect(await e2e.page.getByTestId('feedback-chart-point').count()).toBe(3);
    expect(await numberOf(e2e.page, 'feedback-judged', 'data-rejected')).toBe(rejectedIds.length);

    const shown = await shownTiles(e2e.page);
    const marks = new Map(shown.map((t) => [t.id, t.mark]));
    for (const id of rejectedIds) expect(marks.has(id)).toBe(false);
    for (const id of relevantIds) expect(marks.get(id)).toBe('relevant');
  });

  it('offers Refine model: a job with progress, or the back end says why it cannot', async () => {
    await e2e.page.getByTestId('feedback-refine').click();
    await expect
      .poll(async () => (await e2e.page.getByTestId('feedback-notice').count()) + (await e2e.page.getByTestId('feedback-refine-progress').count()), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await e2e.page.getByTestId('feedback-error').count()).toBe(0);
  });
});
