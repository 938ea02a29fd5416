import { describe, expect, it } from 'vitest';
import { BASIC_PROFILE, profileEntry, resolveAction } from '../../main/export/basicProfile';
import { deidentifyParsed, type DeidentifyResult } from '../../main/export/deidentify';
import { burnedInCheck, parseDicomFile, summarise } from '../../main/export/dicomFile';
import { DateShifter, UidMap, shiftDate, shiftDateTime } from '../../main/export/uids';
import {
  CT_IMAGE, EBE, ELE, ILE, TS, dataSet, deflatedFile, encapsulatedPixelData, explicitFile, identifyingElements, nativePixels, part10,
  type PatientFile,
} from './dicomFixtures';
import { allTags, independentParse, isPrivate, text, valueBytes } from './independentParse';

function deid(bytes: Uint8Array, uids = new UidMap(), dates: DateShifter | null = null): DeidentifyResult {
  const parsed = parseDicomFile(bytes);
  if (!parsed.ok) throw new Error(`${parsed.code}: ${parsed.message}`);
  const result = deidentifyParsed(parsed.file, { uids, dates });
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result;
}

const IDENTIFYING = {
  x00100010: 'Smith^John',
  x00100020: 'PID-0001',
  x00100030: '19700101',
  x00100040: 'M',
  x00101010: '050Y',
  x00101040: '1 Main Street',
  x00080080: 'General Hospital',
  x00080090: 'Doe^Referrer',
  x00081070: 'Operator^Olga',
  x00080050: 'ACC12345',
  x00200010: 'STUDY42',
  x00080020: '20200115',
  x00080030: '101500',
  x00181000: 'SN-778899',
  x00081010: 'STATION7',
  x0008103e: 'Chest for John Smith',
};

function expectDeidentified(out: Uint8Array, original: PatientFile, pixels: Uint8Array | undefined, opts: { implicit?: boolean } = {}) {
  const { meta, dataSet } = independentParse(out, { implicitSyntaxFallback: opts.implicit });
  for (const [tag, value] of Object.entries(IDENTIFYING)) {
    const now = text(dataSet, tag);
    expect(now === '' || now !== value, `${tag} keeps ${value}`).toBe(true);
  }
  const tags = allTags(dataSet);
  expect(tags.filter(isPrivate)).toEqual([]);
  expect(tags).toContain('x00081155'); // the nested reference survived, cleaned
  expect(text(dataSet, 'x00100010')).toBe(''); // Z: kept, empty
  expect(dataSet.elements.x00100010).toBeDefined();
  expect(dataSet.elements.x00080080).toBeUndefined(); // X: gone
  const sop = text(dataSet, 'x00080018');
  expect(sop).toMatch(/^2\.25\.\d+$/);
  expect(sop).not.toBe(original.sop);
  expect(text(meta, 'x00020003')).toBe(sop);
  expect(text(dataSet, 'x0020000d')).toMatch(/^2\.25\.\d+$/);
  expect(text(dataSet, 'x00120062')).toBe('YES');
  expect(text(dataSet, 'x00120063')).toContain('Basic Profile');
  expect(text(dataSet, 'x00080016')).toBe(CT_IMAGE); // SOP Class UID is kept
  if (pixels) expect(Buffer.from(valueBytes(dataSet, 'x7fe00010')!).equals(Buffer.from(pixels))).toBe(true);
  expect(Buffer.from(out.subarray(0, 128)).every((b) => b === 0)).toBe(true); // preamble zeroed
  return dataSet;
}

describe('Basic Application Level Confidentiality Profile table', () => {
  it('resolves combined codes to the action applied', () => {
    expect(resolveAction('X')).toBe('X');
    expect(resolveAction('X/Z')).toBe('X');
    expect(resolveAction('Z/D')).toBe('Z');
    expect(resolveAction('X/Z/D')).toBe('X');
    expect(resolveAction('X/Z/U*')).toBe('U');
    expect(resolveAction('D')).toBe('D');
    expect(() => resolveAction('K')).toThrow();
  });

  it('covers the identifying attributes, once each', () => {
    const expected: Record<number, string> = {
      0x00100010: 'Z', 0x00100020: 'Z', 0x00100030: 'Z', 0x00100040: 'Z', 0x00101010: 'X', 0x00101040: 'X', 0x00080080: 'X',
      0x00080081: 'X', 0x00080090: 'Z', 0x00081050: 'X', 0x00081070: 'X', 0x00080050: 'Z', 0x00200010: 'Z', 0x00080020: 'Z',
      0x00080021: 'X', 0x00080022: 'X', 0x00080023: 'Z', 0x00080030: 'Z', 0x00181000: 'X', 0x00081010: 'X', 0x0020000d: 'U',
      0x0020000e: 'U', 0x00080018: 'U', 0x00200052: 'U', 0x00081155: 'U', 0x00081030: 'X', 0x0008103e: 'X', 0x00204000: 'X',
      0x00400275: 'X', 0x00321032: 'X', 0x00081048: 'X', 0x00880200: 'X', 0x00101000: 'X', 0x00102154: 'X',
    };
    for (const [tag, action] of Object.entries(expected)) expect(profileEntry(Number(tag))?.action, Number(tag).toString(16)).toBe(action);
    expect(profileEntry(0x60023000)?.action).toBe('X'); // overlay data, repeating group
    expect(profileEntry(0x50100010)?.action).toBe('X'); // curves
    expect(profileEntry(0x00280010)).toBeUndefined(); // Rows is kept
    expect(profileEntry(0x00080016)).toBeUndefined(); // SOP Class UID is kept
    const tags = BASIC_PROFILE.map((e) => e.tag);
    expect(new Set(tags).size).toBe(tags.length);
    expect(BASIC_PROFILE.length).toBeGreaterThan(300);
  });
});

describe('dates and UIDs', () => {
  it('shifts DA and DT values, refuses partial dates', () => {
    expect(shiftDate('20200301', -1)).toBe('20200229');
    expect(shiftDate('2020.03.01\\20201231', 1)).toBe('20200302\\20210101');
    expect(shiftDate('202003', 1)).toBeNull();
    expect(shiftDate('20200231', 1)).toBeNull();
    expect(shiftDateTime('20201231235959.5+0100', 1)).toBe('20210101235959.5+0100');
    expect(shiftDateTime('2020', 1)).toBeNull();
  });

  it('maps one original UID to one new 2.25 UID; one offset per patient, never 0', () => {
    const uids = new UidMap();
    const a = uids.replace('1.2.3');
    expect(a).toMatch(/^2\.25\.\d{1,39}$/);
    expect(uids.replace('1.2.3\0')).toBe(a);
    expect(uids.replace('1.2.4')).not.toBe(a);
    expect(uids.replace('')).toBe('');
    const shifter = new DateShifter(30);
    const offsets = Array.from({ length: 50 }, (_, i) => shifter.offsetFor(`P${i}`));
    expect(offsets.every((d) => d !== 0 && Math.abs(d) <= 30)).toBe(true);
    expect(shifter.offsetFor('P7')).toBe(offsets[7]);
    expect(() => new DateShifter(0)).toThrow();
  });
});

describe('deidentify', () => {
  const p1: PatientFile = { sop: '1.2.3.4.1.1.1', referencedSop: '1.2.3.4.1.1.2' };
  const p2: PatientFile = { sop: '1.2.3.4.1.1.2', referencedSop: '1.2.3.4.1.1.1' };

  it('explicit VR LE: applies the profile at every depth, keeps pixel bytes, shares UIDs across the export', () => {
    const uids = new UidMap();
    const a = deid(explicitFile(p1), uids);
    const b = deid(explicitFile(p2), uids);
    const da = expectDeidentified(a.bytes, p1, nativePixels());
    const db = expectDeidentified(b.bytes, p2, nativePixels());
    expect(text(da, 'x0020000d')).toBe(text(db, 'x0020000d'));
    expect(text(da, 'x0020000e')).toBe(text(db, 'x0020000e'));
    expect(text(da, 'x00080018')).not.toBe(text(db, 'x00080018'));
    // a's reference to b's instance points at b's new SOP Instance UID
    const ref = da.elements.x00081140!.items![0]!.dataSet!;
    expect(text(ref, 'x00081155')).toBe(text(db, 'x00080018'));
    expect(text(ref, 'x00081150')).toBe(CT_IMAGE);
    expect(a.changes.privateRemoved).toBe(4); // top-level 0009,1001 and 0029,1010; nested creator and value
    expect(a.changes.removed).toBeGreaterThan(5);
    expect(a.changes.emptied).toBeGreaterThan(5);
    expect(a.uids.sop).toBe(text(da, 'x00080018'));
    expect(a.dateShiftDays).toBeNull();
    expect(text(da, 'x00280303')).toBe('REMOVED');
  });

  it('implicit VR LE with sequences of both length forms', () => {
    const els = identifyingElements(p1, { tag: 0x7fe00010, vr: 'OW', value: nativePixels(16) });
    const sq = els.find((e) => e.tag === 0x00081140)!;
    sq.undefinedLength = true;
    const out = deid(part10(dataSet(els, ILE), TS.implicit, CT_IMAGE, p1.sop));
    const ds = expectDeidentified(out.bytes, p1, nativePixels(16), { implicit: true });
    expect(text(ds.elements.x00081140!.items![0]!.dataSet!, 'x00081155')).toMatch(/^2\.25\./);
    // a defined-length sequence in implicit VR is recognised too
    const defined = identifyingElements(p1, { tag: 0x7fe00010, vr: 'OW', value: nativePixels(16) });
    const out2 = deid(part10(dataSet(defined, ILE), TS.implicit, CT_IMAGE, p1.sop));
    expectDeidentified(out2.bytes, p1, nativePixels(16), { implicit: true });
    expect(out2.changes.privateRemoved).toBe(4);
  });

  it('explicit VR big endian keeps the pixel bytes in their byte order', () => {
    const pixels = nativePixels(12);
    const els = identifyingElements(p1, { tag: 0x7fe00010, vr: 'OW', value: pixels });
    const out = deid(part10(dataSet(els, EBE), TS.bigEndian, CT_IMAGE, p1.sop));
    expect(independentParse(out.bytes).transferSyntax).toBe(TS.bigEndian);
    expectDeidentified(out.bytes, p1, pixels);
  });

  it('deflated explicit VR LE is inflated, cleaned and deflated again', () => {
    const out = deid(deflatedFile(p1));
    expect(independentParse(out.bytes).transferSyntax).toBe(TS.deflated);
    expectDeidentified(out.bytes, p1, nativePixels());
  });

  it('encapsulated pixel data (offset table and fragments) stays byte-identical', () => {
    const fragments = [Uint8Array.of(0xff, 0xd8, 1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8, 0xff, 0xd9)];
    const pixel = encapsulatedPixelData(fragments, true);
    const body = Buffer.concat([dataSet(identifyingElements(p1, null), ELE), pixel]);
    const original = part10(body, TS.jpegBaseline, CT_IMAGE, p1.sop);
    const before = independentParse(original);
    const out = deid(original);
    const after = independentParse(out.bytes);
    expect(after.transferSyntax).toBe(TS.jpegBaseline);
    expect(Buffer.from(valueBytes(after.dataSet, 'x7fe00010')!).equals(Buffer.from(valueBytes(before.dataSet, 'x7fe00010')!))).toBe(true);
    expect(after.dataSet.elements.x7fe00010!.fragments).toHaveLength(2);
    expectDeidentified(out.bytes, p1, undefined);
  });

  it('shifts dates by the patient offset instead of emptying them', () => {
    const shifter = new DateShifter(10, () => -7);
    const out = deid(explicitFile({ ...p1, studyDate: '20200301' }), new UidMap(), shifter);
    const { dataSet: ds } = independentParse(out.bytes);
    expect(text(ds, 'x00080020')).toBe('20200223');
    expect(text(ds, 'x00100030')).toBe('19691225');
    expect(text(ds, 'x00280303')).toBe('MODIFIED');
    expect(out.dateShiftDays).toBe(-7);
    expect(out.changes.datesShifted).toBe(2);
    const codes = ds.elements.x00120064!.items!.map((i) => text(i.dataSet!, 'x00080100'));
    expect(codes).toEqual(['113100', '113107']);
  });

  it('refuses truncated and non-DICOM input with a reason', () => {
    const whole = explicitFile(p1);
    const cut = parseDicomFile(whole.subarray(0, whole.length - 5));
    expect(cut).toMatchObject({ ok: false, code: 'dicom_truncated' });
    expect(parseDicomFile(Buffer.from('hello world, not dicom at all'))).toMatchObject({ ok: false, code: 'not_dicom' });
    const unknownSyntax = part10(dataSet(identifyingElements(p1, null), ELE), '1.2.3.4.5.6.7', CT_IMAGE, p1.sop);
    expect(parseDicomFile(unknownSyntax)).toMatchObject({ ok: false, code: 'unsupported_transfer_syntax' });
  });
});

describe('burned-in text', () => {
  const check = (p: PatientFile) => {
    const parsed = parseDicomFile(explicitFile(p));
    if (!parsed.ok) throw new Error(parsed.message);
    return burnedInCheck(summarise(parsed.file)).flagged;
  };
  it('flags YES, and US/SC/XC/OT/ES without the attribute; NO clears it', () => {
    expect(check({ sop: '1.2', burnedIn: 'YES' })).toBe(true);
    expect(check({ sop: '1.2', modality: 'US' })).toBe(true);
    expect(check({ sop: '1.2', modality: 'OT' })).toBe(true);
    expect(check({ sop: '1.2', modality: 'US', burnedIn: 'NO' })).toBe(false);
    expect(check({ sop: '1.2', modality: 'CT' })).toBe(false);
  });
});
