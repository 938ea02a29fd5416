/**
 * The library grid with a generated 50,000-image catalogue: only a bounded number of tiles live in the
 * DOM, the content never exceeds a safe element height, and the last image is reachable by keyboard
 * and by scrolling to the bottom. Scroll frame times are printed for the record (not asserted: timing
 * targets live in benchmarks).
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { prepareHome } from '../../main/home/dataHome';
import { thumbnailPath } from '../../main/ingest/thumbnails';
import { useE2eSession } from './support/simila';

const ITEMS = 50_000;

/** Writes a catalogue of ITEMS images straight into SQLite; every thumbnail is a hard link to one file. */
async function generateCatalogue(homeDir: string): Promise<void> {
  const layout = prepareHome({ home: homeDir });
  const sample = path.join(homeDir, 'sample-thumb.webp');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 40, g: 90, b: 160 } } }).webp().toFile(sample);
  const catalogue = openCatalogue(layout.catalogueFile);
  try {
    const folderId = catalogue.folders.ensure('/generated/archive');
    catalogue.transaction(() => {
      for (let i = 0; i < ITEMS; i++) {
        const hash = createHash('sha256').update(`image-${i}`).digest('hex');
        const imageId = catalogue.images.insert({ hash, width: 64, height: 64, format: 'webp', byteSize: 1000, meta: {} });
        catalogue.paths.upsert({ path: `/generated/archive/img-${String(i).padStart(5, '0')}.webp`, imageId, folderId, size: 1000, mtimeMs: 0, seenByJob: null });
        const thumb = thumbnailPath(layout.thumbnails, hash);
        mkdirSync(path.dirname(thumb), { recursive: true });
        linkSync(sample, thumb);
      }
    });
  } finally {
    catalogue.close();
  }
}

describe('library grid with 50,000 items', () => {
  const e2e = useE2eSession('simila-grid50k-', {
    prepare: (dir) => generateCatalogue(path.join(dir, 'home')),
    serveFromWorkDir: false,
    logPageErrors: false,
  });

  beforeAll(async () => {
    await e2e.page.goto(e2e.server.url);
  });

  it('shows the full count with a bounded number of tiles in the DOM', async () => {
    // The app files the generated images into folder series at start (a background job): allow for it.
    await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(ITEMS));
    await expect.poll(() => e2e.page.getByTestId('grid-item').count()).toBeGreaterThan(10);
    expect(await e2e.page.getByTestId('grid-item').count()).toBeLessThan(500);
  });

  it('never makes the scroll content taller than a safe element height', async () => {
    const scrollHeight = await e2e.page.getByTestId('library-grid').evaluate((el) => el.scrollHeight);
    // Chromium clamps element heights near 33.5 million px; Firefox near 17.9 million.
    expect(scrollHeight).toBeLessThan(10_000_000);
  });

  it('reaches the last image with End and the first with Home', async () => {
    await e2e.page.getByTestId('grid-item').first().click();
    await e2e.page.keyboard.press('End');
    const last = e2e.page.locator(`[data-testid="grid-item"][data-index="${ITEMS - 1}"]`);
    await expect.poll(() => last.count()).toBe(1);
    expect(await last.isVisible()).toBe(true);
    expect(await e2e.page.getByTestId('grid-item').count()).toBeLessThan(500);
    await e2e.page.keyboard.press('Home');
    await expect.poll(() => e2e.page.locator('[data-testid="grid-item"][data-index="0"]').count()).toBe(1);
  });

  it('scrolls to the very bottom by the scrollbar and shows the last row', async () => {
    const frameTimes = await e2e.page.getByTestId('library-grid').evaluate(async (grid) => {
      const times: number[] = [];
      let previous = performance.now();
      const steps = 60;
      for (let step = 1; step <= steps; step++) {
        grid.scrollTop = (grid.scrollHeight - grid.clientHeight) * (step / steps);
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        const now = performance.now();
        times.push(now - previous);
        previous = now;
      }
      return times.sort((a, b) => a - b);
    });
    console.log(JSON.stringify({ grid_items: ITEMS, scroll_frame_ms_p50: frameTimes[30], scroll_frame_ms_max: frameTimes.at(-1) }));
    const last = e2e.page.locator(`[data-testid="grid-item"][data-index="${ITEMS - 1}"]`);
    await expect.poll(() => last.count()).toBe(1);
    expect(await last.isVisible()).toBe(true);
  });

  it('loads the thumbnails of the visible rows deep in the list', async () => {
    const visible = e2e.page.getByTestId('grid-item').last().locator('img');
    await expect.poll(() => visible.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 30_000 }).toBe(true);
  });
});
