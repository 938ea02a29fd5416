/**
 * A small fake hierarchy for component tests: two patients, three studies, four series over the fake
 * library's first images (ids from `summary`), one series a multi-frame instance, one filed as unknown.
 * Facet counts follow the modality/format filters, so tests can check that the sidebar sends them.
 */
import type { FacetCounts, PatientNode, ResponseOf, SearchFilters, SeriesNode } from '@shared/rpc/contract';
import { summary } from './fakeClient';

export interface FakeSeriesDef {
  id: number;
  modality: string;
  description: string;
  /** Library positions of the instances, in slice order. */
  positions: number[];
  /** Frames per instance (default 1). */
  frames?: number;
  kind?: SeriesNode['kind'];
  note?: string | null;
  patient: string;
  study: string;
}

export const fakeSeriesDefs: FakeSeriesDef[] = [
  { id: 11, modality: 'CT', description: 'AXIAL 5mm', positions: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24], patient: 'P1', study: 'S1' },
  { id: 12, modality: 'CT', description: 'CORONAL', positions: [1, 3], frames: 3, patient: 'P1', study: 'S1' },
  { id: 13, modality: 'MR', description: 'T1', positions: [5, 7, 9], patient: 'P1', study: 'S2' },
  { id: 14, modality: 'MR', description: 'T2', positions: [11, 13], kind: 'unknown', note: 'No Series Instance UID', patient: 'P2', study: 'S3' },
];

export function seriesNodeOf(def: FakeSeriesDef): SeriesNode {
  return {
    id: def.id,
    seriesUid: def.kind === 'unknown' ? null : `1.2.${def.id}`,
    studyKey: def.study,
    kind: def.kind ?? 'dicom',
    label: `${def.modality} ${def.description}`,
    modality: def.modality,
    bodyPart: 'CHEST',
    description: def.description,
    number: def.id - 10,
    instances: def.positions.length,
    middleImageId: summary(def.positions[Math.floor((def.positions.length - 1) / 2)]!).id,
    note: def.note ?? null,
  };
}

function matches(def: FakeSeriesDef, filters: SearchFilters | undefined, skip?: 'modality'): boolean {
  if (skip !== 'modality' && filters?.modalities?.length && !filters.modalities.includes(def.modality)) return false;
  return true;
}

export function fakeTree(filters: SearchFilters | undefined): PatientNode[] {
  const patients: PatientNode[] = [];
  for (const def of fakeSeriesDefs.filter((d) => matches(d, filters))) {
    let patient = patients.find((p) => p.key === def.patient);
    if (!patient) patients.push((patient = { key: def.patient, label: `Patient ${def.patient}`, instances: 0, studies: [] }));
    let study = patient.studies.find((s) => s.key === def.study);
    if (!study) {
      patient.studies.push(
        (study = { key: def.study, studyUid: `9.${def.study}`, label: `Study ${def.study}`, date: '2020-01-02', description: null, instances: 0, series: [] }),
      );
    }
    study.series.push(seriesNodeOf(def));
    study.instances += def.positions.length;
    patient.instances += def.positions.length;
  }
  return patients;
}

export function fakeFacets(filters: SearchFilters | undefined): FacetCounts {
  const modality = new Map<string, number>();
  for (const def of fakeSeriesDefs.filter((d) => matches(d, filters, 'modality'))) {
    modality.set(def.modality, (modality.get(def.modality) ?? 0) + def.positions.length);
  }
  const matching = fakeSeriesDefs.filter((d) => matches(d, filters)).reduce((n, d) => n + d.positions.length, 0);
  return {
    total: 20,
    matching,
    fields: {
      modality: [...modality].map(([value, count]) => ({ value, label: value, count })),
      bodyPart: [{ value: 'CHEST', label: 'CHEST', count: matching }],
      seriesDescription: fakeSeriesDefs.filter((d) => matches(d, filters)).map((d) => ({ value: d.description, label: d.description, count: d.positions.length })),
      folder: [{ value: '0', label: '/data/even', count: matching }],
      format: [{ value: 'dicom', label: 'dicom', count: matching }],
    },
    studyDates: { min: '2019-05-01', max: '2021-07-31' },
  };
}

export function fakeSeriesAnswer(seriesId: number): ResponseOf<'library.series'> | null {
  const def = fakeSeriesDefs.find((d) => d.id === seriesId);
  if (!def) return null;
  return {
    series: seriesNodeOf(def),
    studyLabel: `Study ${def.study}`,
    patientLabel: `Patient ${def.patient}`,
    instances: def.positions.map((p, i) => ({ imageId: summary(p).id, instanceNumber: i + 1, slicePosition: i * 5, frames: def.frames ?? 1 })),
  };
}

export function seriesOfImage(id: number): number | null {
  const position = (id - 1000) / 7;
  return fakeSeriesDefs.find((d) => d.positions.includes(position))?.id ?? null;
}
