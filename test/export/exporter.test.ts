import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { exportItems, csvField, ExportPathError, type ExportItem } from '../../main/export/exporter';
import { SelectionError, selectExportItems } from '../../main/export/exportSelection';
import { sanitiseName, targetPath, writeNew } from '../../main/export/safeFiles';
import { explicitFile } from './dicomFixtures';
import { independentParse, text } from './independentParse';

let dir: string;
let src: string;
let out: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simila-export-'));
  src = path.join(dir, 'src');
  out = path.join(dir, 'out');
  fs.mkdirSync(src);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function put(name: string, bytes: Uint8Array | string): string {
  const p = path.join(src, name);
  fs.writeFileSync(p, bytes);
  return p;
}

/** Every file under `root`, relative. */
function tree(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

function readCsv(file: string): string[][] {
  return fs.readFileSync(file, 'utf8').trim().split('\r\n').map((l) => l.split(','));
}

describe('exportItems', () => {
  it('de-identifies DICOM, skips burned-in, non-DICOM and broken files with reasons, writes CSV and log', async () => {
    const items: ExportItem[] = [
      { imageId: 1, path: put('Smith_John_ct1.dcm', explicitFile({ sop: '1.9.1', study: '1.9.100' })), className: 'Fracture', distance: 0.25, mark: 'relevant', rank: 0 },
      { imageId: 2, path: put('ct2.dcm', explicitFile({ sop: '1.9.2', study: '1.9.100' })), distance: 0.5, rank: 1 },
      { imageId: 3, path: put('us.dcm', explicitFile({ sop: '1.9.3', modality: 'US' })) },
      { imageId: 4, path: put('photo.png', Buffer.from('\x89PNG\r\n\x1a\nnot really')) },
      { imageId: 5, path: put('broken.dcm', explicitFile({ sop: '1.9.5' }).subarray(0, 300)) },
      { imageId: 6, path: path.join(src, 'gone.dcm') },
      { imageId: 7, path: null },
    ];
    const progress: number[] = [];
    const result = await exportItems(items, out, { deidentify: true, onProgress: (p) => progress.push(p.done) });
    expect(result).toMatchObject({ exported: 2, skipped: 5, flaggedBurnedIn: 1, cancelled: false });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const reasons = result.files.map((f) => f.reason ?? f.status);
    expect(reasons).toEqual(['exported', 'exported', 'burned_in_annotation', 'not_dicom', 'dicom_truncated', 'missing_file', 'no_path']);
    expect(tree(out)).toEqual(['0001.dcm', '0002.dcm', 'export-log.json', 'export.csv']); // no original names in a de-identified export

    const a = independentParse(fs.readFileSync(path.join(out, '0001.dcm')));
    const b = independentParse(fs.readFileSync(path.join(out, '0002.dcm')));
    expect(text(a.dataSet, 'x0020000d')).toBe(text(b.dataSet, 'x0020000d'));
    expect(text(a.dataSet, 'x0020000d')).not.toBe('1.9.100');

    const rows = readCsv(result.csv);
    expect(rows[0]).toEqual(['file', 'study_instance_uid', 'series_instance_uid', 'sop_instance_uid', 'series_description', 'class', 'distance', 'mark', 'rank']);
    expect(rows[1]).toEqual(['0001.dcm', text(a.dataSet, 'x0020000d'), text(a.dataSet, 'x0020000e'), text(a.dataSet, 'x00080018'), '', 'Fracture', '0.25', 'relevant', '0']);
    const csvText = fs.readFileSync(result.csv, 'utf8');
    const logText = fs.readFileSync(result.log, 'utf8');
    for (const leak of ['Smith', src, '1.9.1', '1.9.100', 'Chest for John']) {
      expect(csvText).not.toContain(leak);
      expect(logText).not.toContain(leak);
    }
    const log = JSON.parse(logText) as { summary: { skippedByReason: Record<string, number> }; files: { changes?: { privateRemoved: number; removed: number }; message?: string }[] };
    expect(log.files[0]!.changes!.privateRemoved).toBe(4);
    expect(log.files[0]!.changes!.removed).toBeGreaterThan(0);
    expect(log.summary.skippedByReason).toMatchObject({ burned_in_annotation: 1, not_dicom: 1 });
    expect(log.files[2]!.message).toMatch(/burned/i);
  });

  it('exports burned-in files when asked; verbatim exports copy every file byte for byte, with original paths', async () => {
    const us = put('us.dcm', explicitFile({ sop: '1.9.3', modality: 'US' }));
    const withBurned = await exportItems([{ imageId: 3, path: us }], out, { deidentify: true, includeBurnedIn: true });
    expect(withBurned).toMatchObject({ exported: 1, flaggedBurnedIn: 1 });
    expect(withBurned.files[0]!.flaggedBurnedIn).toBe(true);

    const out2 = path.join(dir, 'verbatim');
    const png = put('a photo,"x".png', 'not a png but copied anyway');
    const verbatim = await exportItems(
      [
        { imageId: 3, path: us },
        { imageId: 9, path: png },
      ],
      out2,
      { deidentify: false },
    );
    expect(verbatim).toMatchObject({ exported: 2, skipped: 0, flaggedBurnedIn: 1 });
    expect(tree(out2)).toEqual(['0001_us.dcm', '0002_a_photo_x_.png', 'export-log.json', 'export.csv']);
    expect(fs.readFileSync(path.join(out2, '0001_us.dcm')).equals(fs.readFileSync(us))).toBe(true);
    const csvText = fs.readFileSync(verbatim.csv, 'utf8');
    expect(csvText.split('\r\n')[0]).toBe('file,original_path,image_id,study_instance_uid,series_instance_uid,sop_instance_uid,series_description,class,distance,mark,rank');
    expect(csvText).toContain(`0001_us.dcm,${us},3,1.2.3.4.1,1.2.3.4.1.1,1.9.3,Chest for John Smith`);
    expect(csvText).toContain(csvField(png));
  });

  it('never overwrites: an existing export or file in the folder is left alone', async () => {
    const ct = put('ct.dcm', explicitFile({ sop: '1.9.1' }));
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, '0001.dcm'), 'keep me');
    const result = await exportItems([{ imageId: 1, path: ct }], out, { deidentify: true });
    expect(result.files[0]).toMatchObject({ status: 'skipped', reason: 'target_exists' });
    expect(fs.readFileSync(path.join(out, '0001.dcm'), 'utf8')).toBe('keep me');
    const csvBefore = fs.readFileSync(result.csv);
    await expect(exportItems([{ imageId: 1, path: ct }], out, { deidentify: true })).rejects.toThrow(ExportPathError);
    expect(fs.readFileSync(result.csv).equals(csvBefore)).toBe(true);
    expect(tree(out).some((f) => f.endsWith('.tmp'))).toBe(false);
    await expect(writeNew(out, '0001.dcm', { data: 'x' })).rejects.toThrow(/not overwritten/);
  });

  it('writes nothing outside the folder, whatever the source names look like; refuses a file as the folder', async () => {
    const evil = path.join(src, '..evil');
    fs.mkdirSync(evil);
    const nasty = path.join(evil, '..%2F..%2Fescape.dcm');
    fs.writeFileSync(nasty, explicitFile({ sop: '1.9.7' }));
    const before = tree(dir);
    const result = await exportItems([{ imageId: 1, path: nasty }], out, { deidentify: false });
    expect(result.exported).toBe(1);
    const after = tree(dir);
    const added = after.filter((f) => !before.includes(f));
    expect(added.every((f) => f.startsWith(`out${path.sep}`))).toBe(true);
    expect(added).toHaveLength(3);
    expect(() => targetPath(out, '../x.dcm')).toThrow(ExportPathError);
    expect(() => targetPath(out, '..')).toThrow(ExportPathError);
    expect(() => targetPath(out, 'a/b.dcm')).toThrow(ExportPathError);
    expect(sanitiseName('../../etc/passwd')).toBe('etc_passwd');
    expect(sanitiseName('...')).toBe('file');
    const aFile = put('plain.txt', 'x');
    await expect(exportItems([], aFile, { deidentify: false })).rejects.toThrow(/is a file/);
  });

  it('stops at an abort and still writes the CSV and log for what was done', async () => {
    const items = [1, 2, 3, 4].map((i) => ({ imageId: i, path: put(`ct${i}.dcm`, explicitFile({ sop: `1.9.${i}` })) }));
    const controller = new AbortController();
    const result = await exportItems(items, out, {
      deidentify: true,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 2) controller.abort();
      },
    });
    expect(result).toMatchObject({ exported: 2, cancelled: true });
    expect(tree(out)).toEqual(['0001.dcm', '0002.dcm', 'export-log.json', 'export.csv']);
    expect(JSON.parse(fs.readFileSync(result.log, 'utf8')).summary.cancelled).toBe(true);
  });

  it('quotes CSV fields and defuses spreadsheet formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(0.5)).toBe('0.5');
    expect(csvField(null)).toBe('');
  });
});

describe('selectExportItems', () => {
  let catalogue: Catalogue;
  beforeEach(() => {
    catalogue = openCatalogue(':memory:');
  });
  afterEach(() => catalogue.close());

  function addImage(i: number): number {
    const id = catalogue.images.insert({ hash: `h${i}`, width: 4, height: 4, format: 'dicom', byteSize: 9, meta: { series_description: `series ${i}` } });
    catalogue.paths.upsert({ path: `/a/${i}.dcm`, imageId: id, folderId: catalogue.folders.ensure('/a'), size: 9, mtimeMs: 1, seenByJob: null });
    return id;
  }

  it('selects all, ids, or a saved result list with distances, marks and class names', () => {
    const ids = [1, 2, 3].map(addImage);
    const cls = catalogue.classes.create('Nodule');
    if (!cls.ok) throw new Error(cls.message);
    catalogue.classes.label(cls.value.id, [ids[1]!], 'support');
    catalogue.classes.label(cls.value.id, [ids[2]!], 'negative');

    const all = selectExportItems(catalogue, { all: true });
    expect(all.map((i) => [i.imageId, i.path, i.seriesDescription, i.className])).toEqual([
      [ids[0], '/a/1.dcm', 'series 1', null],
      [ids[1], '/a/2.dcm', 'series 2', 'Nodule'],
      [ids[2], '/a/3.dcm', 'series 3', null],
    ]);
    expect(selectExportItems(catalogue, { ids: [ids[2]!, ids[2]!] }).map((i) => i.imageId)).toEqual([ids[2]]);
    expect(() => selectExportItems(catalogue, { ids: [999] })).toThrow(SelectionError);
    expect(() => selectExportItems(catalogue, { ids: [] })).toThrow(SelectionError);

    const model = catalogue.models.register({ name: 'm', stage: 'pretrain', dir: 'm', embeddingDim: 2 });
    const listId = catalogue.resultLists.record({
      queryKey: `image:${ids[0]}`, queryName: '1.dcm', queryImageId: ids[0]!, queryVector: null, modelId: model.id, modelName: 'm',
      kind: 'search', k: 2, hits: [{ imageId: ids[2]!, distance: 0.1 }, { imageId: ids[1]!, distance: 0.3 }],
    });
    catalogue.judgements.set(`image:${ids[0]}`, model.id, [ids[1]!], 'relevant');
    const fromSearch = selectExportItems(catalogue, { fromSearch: listId });
    expect(fromSearch.map((i) => [i.imageId, i.rank, i.distance, i.mark, i.className])).toEqual([
      [ids[2], 0, 0.1, null, null],
      [ids[1], 1, 0.3, 'relevant', 'Nodule'],
    ]);
    expect(() => selectExportItems(catalogue, { fromSearch: 12345 })).toThrow(/no saved result list/);
  });

  it('refuses an empty catalogue', () => {
    expect(() => selectExportItems(catalogue, { all: true })).toThrow(SelectionError);
  });
});
