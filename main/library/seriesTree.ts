/**
 * The patient > study > series tree of the matching images, for the grouped library view and
 * `simila list --by series|study`. Series tiles carry their middle matching instance and count.
 */
import path from 'node:path';
import type { SeriesRecord } from '../catalogue/repositories/hierarchy';
import { FOLDERS_PATIENT, UNKNOWN_PATIENT, UNKNOWN_STUDY } from '../catalogue/hierarchyPlacement';
import type { FacetFilters, FacetIndex } from './facetIndex';

export interface SeriesNode {
  id: number;
  /** SeriesInstanceUID (DICOM), else null (folder series and unknown buckets). */
  seriesUid: string | null;
  studyKey: string;
  kind: SeriesRecord['kind'];
  label: string;
  modality: string | null;
  bodyPart: string | null;
  description: string | null;
  number: number | null;
  instances: number;
  middleImageId: number;
  /** Why instances sit in an unknown / conflict bucket. */
  note: string | null;
}

export interface StudyNode {
  key: string;
  /** StudyInstanceUID, else null. */
  studyUid: string | null;
  label: string;
  date: string | null;
  description: string | null;
  instances: number;
  series: SeriesNode[];
}

export interface PatientNode {
  key: string;
  label: string;
  instances: number;
  studies: StudyNode[];
}

export function patientLabel(key: string): string {
  if (key === FOLDERS_PATIENT) return 'Image folders';
  if (key === UNKNOWN_PATIENT) return 'Unknown patient';
  return `Patient ${key.slice(0, 8)}`;
}

function studyLabel(s: SeriesRecord): string {
  if (s.studyKey === UNKNOWN_STUDY) return 'Unknown study';
  if (s.kind === 'folder') return s.studyDescription ?? s.studyKey.replace(/^folder:/, '');
  const parts = [s.studyDate, s.studyDescription].filter((v): v is string => !!v);
  return parts.length > 0 ? parts.join(' ') : `Study …${s.studyKey.slice(-8)}`;
}

function seriesLabel(s: SeriesRecord): string {
  if (s.kind === 'folder') return s.seriesDescription ?? path.basename(s.seriesKey);
  if (s.seriesKey.startsWith('unknown-series:')) return 'Unknown series';
  if (s.seriesKey.startsWith('conflict:')) return `Conflicting tags (series …${s.seriesKey.slice(-8)})`;
  const head = s.seriesNumber !== null ? `#${s.seriesNumber} ` : '';
  return `${head}${s.seriesDescription ?? s.modality ?? `Series …${s.seriesKey.slice(-8)}`}`;
}

export function seriesNode(s: SeriesRecord, instances: number, middleImageId: number): SeriesNode {
  return {
    id: s.id,
    seriesUid: s.kind === 'dicom' ? s.seriesKey : null,
    studyKey: s.studyKey,
    kind: s.kind,
    label: seriesLabel(s),
    modality: s.modality,
    bodyPart: s.bodyPart,
    description: s.seriesDescription,
    number: s.seriesNumber,
    instances,
    middleImageId,
    note: s.note,
  };
}

export function buildSeriesTree(index: FacetIndex, filters: FacetFilters): PatientNode[] {
  const patients = new Map<string, PatientNode>();
  const studies = new Map<string, StudyNode>();
  for (const [seriesId, summary] of index.seriesSummaries(filters)) {
    const s = index.series.get(seriesId);
    if (!s) continue;
    let patient = patients.get(s.patientKey);
    if (!patient) patients.set(s.patientKey, (patient = { key: s.patientKey, label: patientLabel(s.patientKey), instances: 0, studies: [] }));
    const studyId = `${s.patientKey}\u0000${s.studyKey}`;
    let study = studies.get(studyId);
    if (!study) {
      study = {
        key: s.studyKey,
        studyUid: s.kind === 'dicom' ? s.studyKey : null,
        label: studyLabel(s),
        date: s.studyDate,
        description: s.studyDescription,
        instances: 0,
        series: [],
      };
      studies.set(studyId, study);
      patient.studies.push(study);
    }
    study.series.push(seriesNode(s, summary.instances, summary.middleImageId));
    study.instances += summary.instances;
    patient.instances += summary.instances;
  }
  const byLabel = (a: { label: string }, b: { label: string }) => a.label.localeCompare(b.label, undefined, { numeric: true });
  const list = [...patients.values()].sort(byLabel);
  for (const p of list) {
    p.studies.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '') || byLabel(a, b));
    for (const st of p.studies) st.series.sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity) || byLabel(a, b));
  }
  return list;
}
