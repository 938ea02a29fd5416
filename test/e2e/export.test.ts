/**
 * Export end to end (issue 11 item 5), in Chromium against the real server: the generated DICOM
 * archive (2 patients, 4 series) is imported through the folder browser; five images are selected in
 * the library and exported (E) de-identified into a folder chosen in the folder browser; the dialog
 * follows the job to its final message. Then, on disk: a new simila-export-… sub-folder with five .dcm
 * files and export.csv, and none of the fixture's Patient IDs (or names) in any exported file's bytes.
 * The series menu's "Export series…" counts that series' instances.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importThroughFolderBrowser, launchChromium, startServer, type RunningServer } from './support/simila';
import { defaultSeries, writeDicomSeries } from './support/dicomSeries';

const TOTAL = defaultSeries.reduce((n, s) => n + s.slices, 0);
const SELECTED = 5;
const patientIds = [...new Set(defaultSeries.map((s) => s.patientId))];

describe('export end to end (browser mode, real server, Chromium)', () => {
  let workDir: string;
  let outDir: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'simila-e2e-export-'));
    await writeDicomSeries(path.join(workDir, 'archive'));
    outDir = path.join(workDir, 'out');
    await mkdir(outDir);
    server = await startServer(path.join(workDir, 'home'), { cwd: workDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => console.error('page error:', error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('imports the generated DICOM archive', async () => {
    await page.goto(server.url);
    await importThroughFolderBrowser(page, workDir);
    await expect.poll(() => page.getByTestId('grid-count').getAttribute('data-count'), { timeout: 60_000 }).toBe(String(TOTAL));
  });

  it('exports the selected images de-identified into a folder chosen in the folder browser', async () => {
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    const grid = page.getByTestId('library-grid');
    await grid.locator(`[data-testid="grid-item"][data-index="0"]`).click();
    await grid.locator(`[data-testid="grid-item"][data-index="${SELECTED - 1}"]`).click({ modifiers: ['Shift'] });
    await expect.poll(() => page.locator('.selection').textContent()).toContain(`${SELECTED} selected`);

    // E, where the grid has the focus.
    await page.keyboard.press('e');
    const dialog = page.getByTestId('export-dialog');
    await dialog.waitFor();
    const preview = dialog.getByTestId('export-preview');
    await expect.poll(() => preview.getAttribute('data-images'), { timeout: 30_000 }).toBe(String(SELECTED));
    expect(await preview.getAttribute('data-dicom')).toBe(String(SELECTED));
    expect(await preview.textContent()).toContain(`${SELECTED} images (${SELECTED} DICOM, 0 other)`);
    expect(await dialog.getByTestId('export-deidentify').isChecked()).toBe(true);
    expect(await dialog.getByTestId('export-start').isDisabled()).toBe(true);

    await dialog.getByTestId('export-choose-folder').click();
    const folders = page.getByTestId('folder-browser');
    await folders.waitFor();
    await folders.getByTestId('folder-entry').filter({ hasText: path.basename(workDir) }).first().click();
    await folders.getByTestId('folder-entry').filter({ hasText: /^\s*out\s*$/ }).click();
    await folders.getByTestId('folder-import').click();
    await expect.poll(() => folders.count()).toBe(0);
    expect(await dialog.getByTestId('export-destination').textContent()).toContain('out');

    await dialog.getByTestId('export-start').click();
    const progress = dialog.getByTestId('export-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    const message = await dialog.getByTestId('export-message').textContent();
    expect(message).toContain(`Exported ${SELECTED} of ${SELECTED} to`);
    expect(message).toContain('simila-export-');
    expect(await dialog.getByTestId('export-error').count()).toBe(0);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);

    // On disk: one new sub-folder, the files, the CSV, and no Patient ID anywhere in them.
    const made = await readdir(outDir);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^simila-export-.*-job\d+$/);
    const exported = path.join(outDir, made[0]!);
    const files = await readdir(exported);
    const dicom = files.filter((f) => f.toLowerCase().endsWith('.dcm'));
    expect(dicom).toHaveLength(SELECTED);
    expect(files).toContain('export.csv');
    for (const file of [...dicom, 'export.csv']) {
      const bytes = await readFile(path.join(exported, file));
      const text = bytes.toString('latin1');
      for (const id of patientIds) {
        expect(text.includes(id), `${id} in ${file}`).toBe(false);
        expect(text.includes(`E2E^${id}`), `patient name of ${id} in ${file}`).toBe(false);
      }
    }
    // Each exported file is still DICOM Part 10.
    for (const file of dicom) {
      const bytes = await readFile(path.join(exported, file));
      expect(bytes.subarray(128, 132).toString('latin1')).toBe('DICM');
    }
  });

  it('offers "Export series…" in the series menu, counting the series instances', async () => {
    await page.getByTestId('library-mode-series').click();
    const spec = defaultSeries[0]!;
    const tile = page.getByTestId('series-tile').filter({ hasText: spec.description });
    await tile.click({ button: 'right' });
    await page.getByTestId('tile-menu').locator('[data-action="export"]').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.waitFor();
    await expect.poll(() => dialog.getByTestId('export-preview').getAttribute('data-images'), { timeout: 30_000 }).toBe(String(spec.slices));
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });
});
