/**
 * The foundation, as a user meets it: open the app in Chromium, import a folder through the UI's folder
 * browser, see the thumbnails, open the viewer, move with the keyboard, see the shortcut overlay.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { importAndWaitForCount, useE2eSession } from './support/simila';

const IMAGES_PER_FOLDER = 12;

async function makeArchive(root: string): Promise<void> {
  for (const [folderIndex, folder] of ['alpha', 'beta'].entries()) {
    const dir = path.join(root, 'archive', folder);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < IMAGES_PER_FOLDER; i++) {
      const colour = { r: (i * 20) % 256, g: folderIndex * 120, b: 255 - ((i * 20) % 256) };
      const image = sharp({ create: { width: 160 + i * 8, height: 120, channels: 3, background: colour } });
      const file = path.join(dir, `${folder}-${String(i).padStart(2, '0')}`);
      await (i % 2 ? image.png().toFile(`${file}.png`) : image.jpeg().toFile(`${file}.jpg`));
    }
  }
  // Bad input in the same folder: recorded as failed with a reason, never a crash.
  await writeFile(path.join(root, 'archive', 'alpha', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70]));
  await writeFile(path.join(root, 'archive', 'alpha', 'notes.jpg'), 'this is text, not a JPEG');
}

describe('library end to end (browser mode, real server, Chromium)', () => {
  const e2e = useE2eSession('simila-e2e-', { prepare: makeArchive });

  it('serves the app at the printed URL with an empty library', async () => {
    await e2e.page.goto(e2e.server.url);
    await expect.poll(() => e2e.page.getByTestId('grid-count').textContent()).toMatch(/\b0\b/);
    await expect.poll(() => e2e.page.getByTestId('status-bar').textContent()).toMatch(/browser/i);
  });

  it('refuses the app without the token', async () => {
    const response = await fetch(`${e2e.server.origin}/img/thumb/1`);
    expect(response.status).toBe(403);
  });

  it('imports a folder chosen in the folder browser', async () => {
    // Roots include the server's working directory; walk into archive/ and import it.
    await importAndWaitForCount(e2e.page, e2e.workDir, 2 * IMAGES_PER_FOLDER);
    // The two bad files are listed with their reasons.
    await expect.poll(() => e2e.page.getByTestId('import-failures').textContent()).toMatch(/broken\.jpg/);
    expect(await e2e.page.getByTestId('import-failures').textContent()).toMatch(/notes\.jpg/);
  });

  it('shows thumbnails that really load', async () => {
    const tiles = e2e.page.getByTestId('grid-item');
    await expect.poll(() => tiles.count()).toBeGreaterThanOrEqual(2 * IMAGES_PER_FOLDER);
    const firstImage = tiles.first().locator('img');
    await expect.poll(() => firstImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  });

  it('filters by folder', async () => {
    const filter = e2e.page.getByTestId('folder-filter');
    const alpha = await filter.locator('option', { hasText: 'alpha' }).getAttribute('value');
    await filter.selectOption(alpha ?? '');
    await expect.poll(() => e2e.page.getByTestId('grid-count').textContent()).toMatch(new RegExp(`\\b${IMAGES_PER_FOLDER}\\b`));
    await filter.selectOption({ index: 0 });
    await expect.poll(() => e2e.page.getByTestId('grid-count').textContent()).toMatch(new RegExp(`\\b${2 * IMAGES_PER_FOLDER}\\b`));
  });

  it('selects with click, Ctrl-click, Shift-click and Ctrl+A', async () => {
    const tiles = e2e.page.getByTestId('grid-item');
    await tiles.nth(0).click();
    await tiles.nth(2).click({ modifiers: ['Control'] });
    await expect.poll(() => e2e.page.locator('[data-testid="grid-item"][aria-selected="true"]').count()).toBe(2);
    await tiles.nth(5).click({ modifiers: ['Shift'] });
    // Shift extends from the last clicked tile (2) to 5: 2,3,4,5 plus 0 kept or not depending on the anchor model;
    // at least the four of the range are selected.
    for (const index of [2, 3, 4, 5]) {
      expect(await tiles.nth(index).getAttribute('aria-selected')).toBe('true');
    }
    await e2e.page.keyboard.press('Control+a');
    await expect.poll(() => e2e.page.getByTestId('status-bar').textContent()).toMatch(new RegExp(`${2 * IMAGES_PER_FOLDER} selected`));
    await e2e.page.keyboard.press('Escape');
    await expect.poll(() => e2e.page.locator('[data-testid="grid-item"][aria-selected="true"]').count()).toBe(0);
  });

  it('opens the viewer, navigates with the keyboard, zooms to 1:1 and back to fit', async () => {
    const tiles = e2e.page.getByTestId('grid-item');
    await tiles.nth(0).click();
    await e2e.page.keyboard.press('ArrowRight');
    await e2e.page.keyboard.press('Enter');
    const viewer = e2e.page.getByTestId('viewer');
    await viewer.waitFor();
    const secondId = await tiles.nth(1).getAttribute('data-id');
    expect(await viewer.getAttribute('data-id')).toBe(secondId);
    const image = e2e.page.getByTestId('viewer-image');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);

    await e2e.page.keyboard.press('ArrowRight');
    await expect.poll(() => viewer.getAttribute('data-id')).toBe(await tiles.nth(2).getAttribute('data-id'));
    await e2e.page.keyboard.press('1');
    await expect.poll(() => e2e.page.getByTestId('viewer-zoom').textContent()).toMatch(/100\s*%/);
    await e2e.page.keyboard.press('0');
    await expect.poll(() => e2e.page.getByTestId('viewer-zoom').textContent()).toMatch(/fit/i);
    await e2e.page.keyboard.press('Escape');
    await expect.poll(() => viewer.count()).toBe(0);
  });

  it('lists the shortcuts on ?', async () => {
    await e2e.page.keyboard.press('?');
    const help = e2e.page.getByTestId('help-overlay');
    await help.waitFor();
    expect(await help.textContent()).toMatch(/Ctrl|⌘/);
    await e2e.page.keyboard.press('Escape');
  });

  it('keeps the library after a server restart', async () => {
    await e2e.restartServer();
    await e2e.page.goto(e2e.server.url);
    await expect.poll(() => e2e.page.getByTestId('grid-count').textContent()).toMatch(new RegExp(`\\b${2 * IMAGES_PER_FOLDER}\\b`));
  });
});
