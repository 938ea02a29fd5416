/**
 * A generated radiology archive: patients with studies with series of small DICOM instances (8 x 8,
 * 16-bit, explicit VR little endian) whose headers carry the hierarchy and facet fields. Deterministic
 * for a seed. Written by the project's own test DICOM writer (test/export/dicomFixtures).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataSet, ELE, part10, TS, type El } from '../../test/export/dicomFixtures';
import { seeded } from '../stats';

const MODALITIES = ['CT', 'MR', 'CR', 'DX', 'US', 'PT', 'NM', 'MG'];
const BODY_PARTS = ['HEAD', 'CHEST', 'ABDOMEN', 'PELVIS', 'KNEE', 'SPINE', 'BREAST', 'HAND'];
const DESCRIPTIONS = ['AX T1', 'AX T2', 'COR T1', 'SAG T2 FLAIR', 'DWI', 'PA', 'LAT', 'AX 5mm', 'COR 3mm', 'LOCALIZER', 'ART PHASE', 'VEN PHASE'];
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
const ROOT = '1.2.826.0.1.3680043.10.1137';

export interface SyntheticArchive {
  root: string;
  instances: number;
  series: number;
  studies: number;
  patients: number;
}

const us = (n: number): Uint8Array => Uint8Array.of(n & 0xff, n >> 8);

function instanceFile(p: { patient: number; study: string; series: string; sop: string; modality: string; bodyPart: string; date: string; description: string; seriesNumber: number; instance: number; level: number }): Buffer {
  const pixels = new Uint8Array(8 * 8 * 2);
  for (let i = 0; i < 64; i++) {
    const v = (p.level + ((i * 37 + p.instance * 11) % 200)) & 0xfff;
    pixels[2 * i] = v & 0xff;
    pixels[2 * i + 1] = v >> 8;
  }
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: SECONDARY_CAPTURE },
    { tag: 0x00080018, vr: 'UI', value: p.sop },
    { tag: 0x00080020, vr: 'DA', value: p.date },
    { tag: 0x00080060, vr: 'CS', value: p.modality },
    { tag: 0x0008103e, vr: 'LO', value: p.description },
    { tag: 0x00100020, vr: 'LO', value: `PAT${String(p.patient).padStart(5, '0')}` },
    { tag: 0x00180015, vr: 'CS', value: p.bodyPart },
    { tag: 0x0020000d, vr: 'UI', value: p.study },
    { tag: 0x0020000e, vr: 'UI', value: p.series },
    { tag: 0x00200011, vr: 'IS', value: String(p.seriesNumber) },
    { tag: 0x00200013, vr: 'IS', value: String(p.instance) },
    { tag: 0x00200032, vr: 'DS', value: `0\\0\\${(p.instance * 2.5).toFixed(1)}` },
    { tag: 0x00280002, vr: 'US', value: us(1) },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: us(8) },
    { tag: 0x00280011, vr: 'US', value: us(8) },
    { tag: 0x00280100, vr: 'US', value: us(16) },
    { tag: 0x00280101, vr: 'US', value: us(12) },
    { tag: 0x00280102, vr: 'US', value: us(11) },
    { tag: 0x00280103, vr: 'US', value: us(0) },
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];
  return part10(dataSet(els, ELE), TS.explicit, SECONDARY_CAPTURE, p.sop);
}

/** Writes `instances` files in about `series` series (3 series per study, 3 studies per patient on average). */
export async function writeSyntheticArchive(root: string, options: { instances: number; series: number; seed?: number }): Promise<SyntheticArchive> {
  const random = seeded(options.seed ?? 11);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const perSeries = Math.max(1, Math.round(options.instances / options.series));
  let written = 0;
  let seriesCount = 0;
  let studyCount = 0;
  let patient = 0;
  const pending: Promise<void>[] = [];
  while (written < options.instances) {
    patient++;
    for (let st = 0; st < 3 && written < options.instances; st++) {
      studyCount++;
      const study = `${ROOT}.${patient}.${st + 1}`;
      const date = `20${String(10 + Math.floor(random() * 15)).padStart(2, '0')}${String(1 + Math.floor(random() * 12)).padStart(2, '0')}${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
      const modality = pick(MODALITIES);
      const bodyPart = pick(BODY_PARTS);
      for (let se = 0; se < 3 && written < options.instances; se++) {
        seriesCount++;
        const series = `${study}.${se + 1}`;
        const dir = path.join(root, `p${patient}`, `st${st + 1}`, `se${se + 1}`);
        await fs.mkdir(dir, { recursive: true });
        const description = pick(DESCRIPTIONS);
        const level = Math.floor(random() * 3000);
        const count = Math.min(perSeries, options.instances - written);
        for (let i = 1; i <= count; i++) {
          const sop = `${series}.${i}`;
          const bytes = instanceFile({ patient, study, series, sop, modality, bodyPart, date, description, seriesNumber: se + 1, instance: i, level });
          pending.push(fs.writeFile(path.join(dir, `${i}.dcm`), bytes));
          if (pending.length >= 64) await Promise.all(pending.splice(0));
        }
        written += count;
      }
    }
  }
  await Promise.all(pending);
  return { root, instances: written, series: seriesCount, studies: studyCount, patients: patient };
}
