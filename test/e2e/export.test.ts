/**
 * Export end to end (issue 11 item 5), in Chromium against the real server: the generated DICOM
 * archive (2 patients, 4 series) is imported through the folder browser; five images are selected in
 * the library and exported (E) de-identified into a folder chosen in the folder browser; the dialog
 * follows the job to its final message. Then, on disk: a new simila-export-… sub-folder with five .dcm
 * files and export.csv, and none of the fixture's Patient IDs (or names) in any exported file's bytes.
 * The series menu's "Export series…" counts that series' instances.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseInFolderBrowser, importAndWaitForCount, useE2eSession } from './support/simila';
import { defaultSeries, writeDicomSeries } from './support/dicomSeries';

const TOTAL = defaultSeries.reduce((n, s) => n + s.slices, 0);
const SELECTED = 5;
const patientIds = [...new Set(defaultSeries.map((s) => s.patientId))];

describe('export end to end (browser mode, real server, Chromium)', () => {
  let outDir: string;

  const e2e = useE2eSession('simila-e2e-export-', {
    prepare: async (dir) => {
      await writeDicomSeries(path.join(dir, 'archive'));
      outDir = path.join(dir, 'out');
      await mkdir(outDir);
    },
  });

  it('imports the generated DICOM archive', async () => {
    await e2e.page.goto(e2e.server.url);
    await importAndWaitForCount(e2e.page, e2e.workDir, TOTAL);
  });

  it('exports the selected images de-identified into a folder chosen in the folder browser', async () => {
    await e2e.page.getByRole('button', { name: 'Library', exact: true }).click();
    const grid = e2e.page.getByTestId('library-grid');
    await grid.locator(`[data-testid="grid-item"][data-index="0"]`).click();
    await grid.locator(`[data-testid="grid-item"][data-index="${SELECTED - 1}"]`).click({ modifiers: ['Shift'] });
    await expect.poll(() => e2e.page.locator('.selection').textContent()).toContain(`${SELECTED} selected`);

    // E, where the grid has the focus.
    await e2e.page.keyboard.press('e');
    const dialog = e2e.page.getByTestId('export-dialog');
    await dialog.waitFor();
    const preview = dialog.getByTestId('export-preview');
    await expect.poll(() => preview.getAttribute('data-images'), { timeout: 30_000 }).toBe(String(SELECTED));
    expect(await preview.getAttribute('data-dicom')).toBe(String(SELECTED));
    expect(await preview.textContent()).toContain(`${SELECTED} images (${SELECTED} DICOM, 0 other)`);
    expect(await dialog.getByTestId('export-deidentify').isChecked()).toBe(true);
    expect(await dialog.getByTestId('export-start').isDisabled()).toBe(true);

    await dialog.getByTestId('export-choose-folder').click();
    const folders = e2e.page.getByTestId('folder-browser');
    await chooseInFolderBrowser(e2e.page, e2e.workDir, 'out');
    await expect.poll(() => folders.count()).toBe(0);
    expect(await dialog.getByTestId('export-destination').textContent()).toContain('out');

    await dialog.getByTestId('export-start').click();
    const progress = dialog.getByTestId('export-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    const message = await dialog.getByTestId('export-message').textContent();
    expect(message).toContain(`Exported ${SELECTED} of ${SELECTED} to`);
    expect(message).toContain('simila-export-');
    expect(await dialog.getByTestId('export-error').count()).toBe(0);
    await e2e.page.keyboard.press('Escape');
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
    await e2e.page.getByTestId('library-mode-series').click();
    const spec = defaultSeries[0]!;
    const tile = e2e.page.getByTestId('series-tile').filter({ hasText: spec.description });
    await tile.click({ button: 'right' });
    await e2e.page.getByTestId('tile-menu').locator('[data-action="export"]').click();
    const dialog = e2e.page.getByTestId('export-dialog');
    await dialog.waitFor();
    await expect.poll(() => dialog.getByTestId('export-preview').getAttribute('data-images'), { timeout: 30_000 }).toBe(String(spec.slices));
    await e2e.page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });
});
