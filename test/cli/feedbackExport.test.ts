import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { runFeedbackExport } from '../../main/cli/commands/feedbackCommand';
import { homeLayout } from '../../main/home/dataHome';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'simila-feedback-cli-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function seedHome(): { queryKey: string; imageIds: number[] } {
  const catalogue = openCatalogue(homeLayout(home).catalogueFile);
  const model = catalogue.models.register({ name: 'm', stage: 'pretrain', dir: 'm', embeddingDim: 2 });
  const folder = catalogue.folders.ensure('/a');
  const imageIds = [1, 2, 3].map((i) => {
    const id = catalogue.images.insert({ hash: `h${i}`, width: 8, height: 8, format: 'png', byteSize: 1, meta: {} });
    catalogue.paths.upsert({ path: `/a/${i}.png`, imageId: id, folderId: folder, size: 1, mtimeMs: 1, seenByJob: null });
    return id;
  });
  const queryKey = `image:${imageIds[0]}`;
  catalogue.resultLists.record({
    queryKey, queryName: '1.png', queryImageId: imageIds[0]!, queryVector: Float32Array.of(1, 0), modelId: model.id, modelName: 'm',
    kind: 'search', k: 2, hits: [{ imageId: imageIds[1]!, distance: 0.1 }, { imageId: imageIds[2]!, distance: 0.2 }],
  });
  catalogue.judgements.set(queryKey, model.id, [imageIds[1]!], 'relevant');
  catalogue.judgements.set(queryKey, model.id, [imageIds[2]!], 'not_relevant');
  catalogue.close();
  return { queryKey, imageIds };
}

describe('simila feedback export', () => {
  it('prints JSON by default and CSV with --csv, for one query', async () => {
    const { queryKey, imageIds } = seedHome();
    let out = '';
    expect(await runFeedbackExport({ home, query: queryKey }, (t) => (out += t))).toBe(0);
    const json = JSON.parse(out) as { queries: { queryKey: string; judgements: unknown[]; rounds: { precision: { precisionAt5: number } }[] }[] };
    expect(json.queries.map((q) => q.queryKey)).toEqual([queryKey]);
    expect(json.queries[0]!.judgements).toHaveLength(2);
    expect(json.queries[0]!.rounds[0]!.precision.precisionAt5).toBe(0.5);
    // the coverage travels with the figure: a 2-long list, both judged, one relevant
    const at5 = (json.queries[0]!.rounds[0]!.precision as unknown as { cutoffs: { k: number; positions: number; judged: number; upper: number }[] }).cutoffs[0]!;
    expect(at5).toMatchObject({ k: 5, positions: 2, judged: 2, upper: 0.5 });

    out = '';
    expect(await runFeedbackExport({ home, csv: true }, (t) => (out += t))).toBe(0);
    const rows = out.trim().split('\n');
    expect(rows[0]!.startsWith('record,query_key,model_id')).toBe(true);
    expect(rows.filter((r) => r.startsWith('hit,'))).toHaveLength(2);
    expect(rows.some((r) => r.startsWith('judgement,') && r.includes(`,${imageIds[2]},,not_relevant,`))).toBe(true);
    // one precision row per cut-off with its coverage: k, positions, judged, relevant, figure, upper, judged-only
    expect(rows.filter((r) => r.startsWith('precision,')).map((r) => r.split(',').slice(-7).join(','))).toEqual(['5,2,2,1,0.5,0.5,0.5', '10,2,2,1,0.5,0.5,0.5', '20,2,2,1,0.5,0.5,0.5']);
  });

  it('refuses a malformed query key, both formats at once, and a missing catalogue', async () => {
    const write = () => {
      throw new Error('nothing should be written');
    };
    expect(await runFeedbackExport({ home, query: 'path:/etc/passwd' }, write)).toBe(1);
    expect(await runFeedbackExport({ home, json: true, csv: true }, write)).toBe(1);
    expect(await runFeedbackExport({ home: path.join(home, 'nope') }, write)).toBe(1);
    expect(fs.existsSync(path.join(home, 'nope'))).toBe(false);
  });
});
