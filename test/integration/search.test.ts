/**
 * Search quality with the shipped model on mednist (6 classes x 20 images imported into a temp home):
 * the top 10 of each query hold clearly more same-class images than chance (1/6). Without a shipped
 * model the app must refuse to search rather than rank with a random network.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../main/app/services';
import { findShippedModel } from '../../main/search/shippedModel';
import { copyClasses, importFolder, openTestServices, repoRoot, tempDir } from '../search/searchFixture';

const CLASSES = ['AbdomenCT', 'BreastMRI', 'CXR', 'ChestCT', 'Hand', 'HeadCT'];
const PER_CLASS = 20;

describe('search on mednist with the shipped model', () => {
  let work: ReturnType<typeof tempDir>;
  let services: Services;
  const shipped = findShippedModel(repoRoot);

  beforeAll(async () => {
    work = tempDir('search-quality');
    const archive = copyClasses(work.dir, CLASSES, PER_CLASS);
    services = openTestServices(path.join(work.dir, 'home'), { batch: 32, shipped: shipped ? repoRoot : null });
    await importFolder(services, archive);
  }, 120_000);
  afterAll(async () => {
    await services?.close();
    work?.cleanup();
  });

  it('embeds the archive and ranks same-class images first, well above chance', async () => {
    if (!shipped) {
      await expect(services.search.byImage(1, 10)).rejects.toMatchObject({ code: 'unsupported' });
      return;
    }
    const started = performance.now();
    const jobId = (await services.startEmbedding())!;
    const finished = await services.jobs.waitFor(jobId);
    const seconds = (performance.now() - started) / 1000;
    expect(finished.state).toBe('done');
    const total = CLASSES.length * PER_CLASS;
    expect(finished.summary).toMatchObject({ embedded: total, failed: 0 });
    console.info(`[search] embedded ${total} images in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(1)} images/s incl. worker start) on ${services.engine.backend}`);

    const classOf = (id: number) => path.basename(path.dirname(services.catalogue.paths.listForImage(id)[0]!.path));
    let same = 0;
    let counted = 0;
    for (let id = 1; id <= total; id += 3) {
      const response = await services.search.byImage(id, 10);
      expect(response.model.name).toBe(services.catalogue.models.active()!.name);
      expect(response.hits).toHaveLength(10);
      for (const hit of response.hits) {
        counted++;
        if (classOf(hit.image.id) === classOf(id)) same++;
      }
    }
    const precision = same / counted;
    console.info(`[search] precision@10 same class: ${precision.toFixed(3)} (chance ${(1 / CLASSES.length).toFixed(3)})`);
    expect(precision).toBeGreaterThan(2 / CLASSES.length);
  }, 300_000);
});
