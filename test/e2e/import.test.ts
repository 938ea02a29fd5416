/**
 * Issue 3 as a user meets it: in Chromium against the real server, import a folder with DICOM and broken
 * files from the Import view, see progress and the failures with their reasons, pause and resume a larger
 * import, then open a CT image and change the window with a preset key.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseInFolderBrowser, dataRoot, useE2eSession } from './support/simila';

const dicomDir = path.join(dataRoot, 'dicom', 'pydicom_test_files');
const DICOM_FILES = ['CT_small.dcm', 'MR_small.dcm', 'SC_rgb_rle_2frame.dcm'];
const BULK_FILES = 1500;

async function makeArchive(root: string): Promise<void> {
  const dicom = path.join(root, 'archive', 'dicom');
  await mkdir(dicom, { recursive: true });
  for (const name of DICOM_FILES) await copyFile(path.join(dicomDir, name), path.join(dicom, name));
  // A CT cut off inside its pixel data, and text with a DICOM name: both must end as failures with a reason.
  const ct = await readFile(path.join(dicomDir, 'CT_small.dcm'));
  await writeFile(path.join(dicom, 'truncated.dcm'), ct.subarray(0, Math.floor(ct.length / 2)));
  await writeFile(path.join(dicom, 'notes.dcm'), 'this is text, not DICOM');

  // Enough small files that an import runs long enough to be paused from the UI.
  const bulk = path.join(root, 'bulk');
  await mkdir(bulk, { recursive: true });
  for (let i = 0; i < BULK_FILES; i++) {
    const background = { r: i % 256, g: Math.floor(i / 256) % 256, b: (i * 7) % 256 };
    await sharp({ create: { width: 64, height: 48, channels: 3, background } })
      .png()
      .toFile(path.join(bulk, `bulk-${String(i).padStart(4, '0')}.png`));
  }
}

describe('import and DICOM viewer end to end (browser mode, real server, Chromium)', () => {
  const e2e = useE2eSession('simila-e2e-import-', { prepare: makeArchive });

  beforeAll(async () => {
    await e2e.page.goto(e2e.server.url);
    await e2e.page.getByRole('button', { name: 'Import', exact: true }).click();
    await e2e.page.getByTestId('import-view').waitFor();
  });

  async function importFolder(name: string): Promise<void> {
    await e2e.page.keyboard.press('o');
    await chooseInFolderBrowser(e2e.page, e2e.workDir, name);
    await e2e.page.getByTestId('folder-browser').waitFor({ state: 'detached' });
  }

  it('imports a folder with DICOM and broken files and lists the failures with reasons', async () => {
    await importFolder('archive');
    const detail = e2e.page.getByTestId('import-job-detail');
    await expect.poll(() => detail.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await expect.poll(() => e2e.page.getByTestId('import-count-imported').locator('dd').textContent()).toMatch(/\b3\b/);
    await expect.poll(() => e2e.page.getByTestId('import-count-failed').locator('dd').textContent()).toMatch(/\b2\b/);
    const failures = e2e.page.getByTestId('failure-list');
    // The list refreshes (throttled) as failures arrive: wait for both.
    await expect.poll(() => failures.textContent(), { timeout: 20_000 }).toMatch(/truncated\.dcm/);
    await expect.poll(() => failures.textContent(), { timeout: 20_000 }).toMatch(/notes\.dcm/);
    // Every row carries a reason code and a sentence.
    const rows = e2e.page.getByTestId('failure-row');
    expect(await rows.count()).toBe(2);
    for (const row of await rows.all()) {
      expect(await row.getAttribute('data-code')).toMatch(/^[a-z_]+$/);
      expect((await row.locator('td').nth(2).textContent())?.trim().length).toBeGreaterThan(5);
    }
  });

  it('pauses and resumes a running import from the keyboard', async () => {
    await importFolder('bulk');
    const detail = e2e.page.getByTestId('import-job-detail');
    const firstJob = await e2e.page.getByTestId('import-job').last().getAttribute('data-job-id');
    await expect.poll(() => detail.getAttribute('data-job-id')).not.toBe(firstJob);
    await expect.poll(() => detail.getAttribute('data-state'), { timeout: 30_000 }).toMatch(/queued|running/);
    await e2e.page.keyboard.press('p');
    await expect.poll(() => detail.getAttribute('data-state'), { timeout: 30_000 }).toBe('paused');
    const doneAtPause = Number((await e2e.page.getByTestId('import-count-done').locator('dd').textContent())?.replace(/\D/g, ''));
    expect(doneAtPause).toBeLessThan(BULK_FILES);
    await expect.poll(() => e2e.page.getByTestId('status-job').textContent()).toMatch(/paused/i);
    await e2e.page.keyboard.press('p');
    await expect.poll(() => detail.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    await expect.poll(() => e2e.page.getByTestId('import-count-imported').locator('dd').textContent()).toMatch(/\d/);
    const imported = Number((await e2e.page.getByTestId('import-count-imported').locator('dd').textContent())?.replace(/\D/g, ''));
    const skipped = Number((await e2e.page.getByTestId('import-count-skipped').locator('dd').textContent())?.replace(/\D/g, ''));
    expect(imported + skipped).toBe(BULK_FILES);
  });

  it('opens the CT image and changes the window with a preset key', async () => {
    await e2e.page.keyboard.press('Alt+1');
    await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count')).toBe(String(3 + BULK_FILES));
    // Only the DICOM folder: three images, one of them the CT.
    const filter = e2e.page.getByTestId('folder-filter');
    const dicomFolder = await filter.locator('option', { hasText: /dicom/ }).getAttribute('value');
    await filter.selectOption(dicomFolder ?? '');
    await expect.poll(() => e2e.page.getByTestId('grid-count').getAttribute('data-count')).toBe('3');
    await e2e.page.getByTestId('grid-item').first().click();
    await e2e.page.keyboard.press('Enter');
    const viewer = e2e.page.getByTestId('viewer');
    await viewer.waitFor();
    for (let i = 0; i < 3 && !((await viewer.locator('.name').textContent()) ?? '').includes('CT_small'); i++) {
      await e2e.page.keyboard.press('ArrowRight');
    }
    expect(await viewer.locator('.name').textContent()).toContain('CT_small');
    const windowText = e2e.page.getByTestId('dicom-window');
    await windowText.waitFor();
    await expect.poll(() => e2e.page.getByTestId('viewer-image').getAttribute('data-rendered')).toBe('dicom');
    const before = await e2e.page.getByTestId('viewer-image').getAttribute('src');

    await e2e.page.keyboard.press('2');
    await expect.poll(() => windowText.getAttribute('data-width')).toBe('1500');
    expect(await windowText.getAttribute('data-center')).toBe('-600');
    expect(await windowText.textContent()).toContain('W 1500 / L -600');
    // main rendered the frame again with the lung window.
    await expect.poll(() => e2e.page.getByTestId('viewer-image').getAttribute('src')).not.toBe(before);
    await expect
      .poll(() => e2e.page.getByTestId('viewer-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);

    await e2e.page.keyboard.press('5');
    await expect.poll(() => windowText.getAttribute('data-width')).toBe('80');

    await e2e.page.keyboard.press('t');
    const tags = e2e.page.getByTestId('dicom-tags');
    await tags.waitFor();
    expect(await tags.textContent()).toMatch(/CT/);
    expect(await tags.textContent()).toMatch(/1 \/ 1/);
    await e2e.page.keyboard.press('Escape');
    await expect.poll(() => viewer.count()).toBe(0);
  });

  it('shows the jobs again after a server restart', async () => {
    await e2e.restartServer();
    await e2e.page.goto(e2e.server.url);
    await e2e.page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => e2e.page.getByTestId('import-job').count()).toBe(2);
    const states = await e2e.page.getByTestId('import-job').evaluateAll((items) => items.map((i) => i.getAttribute('data-state')));
    expect(states).toEqual(['done', 'done']);
  });
});
