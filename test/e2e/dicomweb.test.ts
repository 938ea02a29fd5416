/**
 * A DICOMweb archive added the way a user does it (issue 13), in Chromium against the real `simila serve`:
 * a real Orthanc with its DICOMweb plugin (test/support/orthanc.ts, loopback, authentication off for this
 * test) holds a few files of ../shared/data/dicom; the Import view's "Add archive…" form is filled with
 * the keyboard and sent with Enter; the sync job finishes; the archive's images are in the library grid;
 * "Find similar" on one of them fills the search grid. Skipped, with the reason, only where Orthanc or its
 * DICOMweb plugin is not installed.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { findOrthanc, startOrthanc, type OrthancServer } from '../support/orthanc';
import { dataRoot, embedWholeArchive, useE2eSession } from './support/simila';

const dicomDir = path.join(dataRoot, 'dicom');
/** A few instances with distinct UIDs that decode: CT, MR, JPEG 2000, RGB JPEG, RGB uncompressed, a one-frame volume. */
const FILES = [
  'pydicom_test_files/CT_small.dcm',
  'pydicom_test_files/MR_small.dcm',
  'pydicom_test_files/JPEG2000.dcm',
  'pydicom_test_files/SC_rgb_jpeg_dcmtk.dcm',
  'pydicom_test_files/examples_rgb_color.dcm',
  'pydicom_test_files/liver_1frame.dcm',
].map((f) => path.join(dicomDir, f));

const install = findOrthanc();
const skipReason = 'missing' in install ? install.missing : FILES.some((f) => !existsSync(f)) ? `the DICOM files are not under ${dicomDir}` : null;
if (skipReason) console.warn(`[e2e dicomweb] skipped: ${skipReason}`);

describe.skipIf(!!skipReason)('Add archive end to end (browser mode, real Orthanc, Chromium)', () => {
  let orthanc: OrthancServer | undefined;
  let stored = 0;

  const e2e = useE2eSession('simila-e2e-dicomweb-', {
    prepare: async () => {
      orthanc = await startOrthanc({ config: { AuthenticationEnabled: false } });
      const upload = await orthanc.upload(FILES, 1);
      stored = upload.stored.length;
    },
  });
  afterAll(async () => {
    await orthanc?.stop();
  });

  it('adds the archive in the Import view with the keyboard and syncs it', async () => {
    expect(stored).toBeGreaterThanOrEqual(4);
    const { page } = e2e;
    await page.goto(e2e.server.url);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('import-add-archive').click();
    const form = page.getByTestId('archive-form');
    await form.waitFor();
    // Browser mode keeps no credentials: no password field, and the form says where they come from.
    await expect.poll(() => page.getByTestId('archive-credentials-env').textContent()).toMatch(/SIMILA_DICOMWEB_TOKEN/);
    expect(await form.locator('input[type="password"]').count()).toBe(0);

    await page.getByTestId('archive-url').click();
    await page.keyboard.type(orthanc!.dicomwebUrl);
    await page.keyboard.press('Enter');

    await expect.poll(() => form.count()).toBe(0); // the form closes once the job is queued
    const detail = page.getByTestId('import-job-detail');
    await expect.poll(() => detail.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    expect(await detail.locator('.job-title').textContent()).toContain(orthanc!.dicomwebUrl);
    const imported = Number(await page.getByTestId('import-count-imported').locator('dd').textContent());
    expect(imported).toBeGreaterThanOrEqual(stored - 1); // the odd instance may not decode; it is listed with its reason
  });

  it('shows the archive images in the library grid', async () => {
    const { page } = e2e;
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    await expect.poll(async () => Number(await page.getByTestId('grid-count').getAttribute('data-count')), { timeout: 30_000 }).toBeGreaterThanOrEqual(stored - 1);
    await expect.poll(() => page.getByTestId('library-grid').getByTestId('grid-item').count()).toBeGreaterThanOrEqual(stored - 1);
  });

  it('finds images similar to one of them', async () => {
    const { page } = e2e;
    await embedWholeArchive(page);
    await page.getByRole('button', { name: 'Library', exact: true }).click();
    const tile = page.getByTestId('library-grid').getByTestId('grid-item').first();
    const name = await tile.getAttribute('aria-label');
    await tile.click();
    await page.keyboard.press('s'); // "Find similar"
    await expect.poll(() => page.getByTestId('search-query').textContent(), { timeout: 60_000 }).toContain(name ?? '?');
    await expect.poll(() => page.getByTestId('search-loading').count(), { timeout: 60_000 }).toBe(0);
    expect(await page.getByTestId('search-error').count()).toBe(0);
    await expect.poll(() => page.getByTestId('search-results').getByTestId('grid-item').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  });
});
