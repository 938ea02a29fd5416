/**
 * Where an image sits in the patient > study > series tree, from its catalogue meta alone (pure; the
 * repository resolves conflicts against what is already filed). DICOM instances go by their UIDs;
 * plain images by their folder (the folder is the series, its parent the study). Instances whose tags
 * cannot place them land in clearly named unknown buckets with the reason, never dropped.
 */
import path from 'node:path';
import type { ImageMeta } from './repositories/images';

export type SeriesKind = 'dicom' | 'folder' | 'unknown';

export interface SeriesFacts {
  seriesKey: string;
  studyKey: string;
  /** Digest as read from the header (keyed again before storing), or a fixed bucket key. */
  patientDigest: string | null;
  kind: SeriesKind;
  modality: string | null;
  bodyPart: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  seriesDescription: string | null;
  seriesNumber: number | null;
  folderId: number | null;
  note: string | null;
}

export interface InstanceFacts {
  sopUid: string | null;
  instanceNumber: number | null;
  slicePosition: number | null;
  frames: number;
  note: string | null;
}

export interface Placement {
  series: SeriesFacts;
  instance: InstanceFacts;
}

export const UNKNOWN_STUDY = 'unknown-study';
export const FOLDERS_PATIENT = 'folders';
export const UNKNOWN_PATIENT = 'unknown-patient';

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const number = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function placeImage(meta: ImageMeta, format: string, folder: { id: number; path: string }): Placement {
  const frames = Math.max(1, Math.round(number(meta.frames) ?? 1));
  if (format !== 'dicom') {
    return {
      series: {
        seriesKey: `folder:${folder.id}`,
        studyKey: `folder:${path.dirname(folder.path)}`,
        patientDigest: null,
        kind: 'folder',
        modality: null,
        bodyPart: null,
        studyDate: null,
        studyDescription: path.dirname(folder.path),
        seriesDescription: path.basename(folder.path) || folder.path,
        seriesNumber: null,
        folderId: folder.id,
        note: null,
      },
      instance: { sopUid: null, instanceNumber: null, slicePosition: null, frames, note: null },
    };
  }
  const studyUid = text(meta.study_uid);
  const seriesUid = text(meta.series_uid);
  const reasons: string[] = [];
  if (!studyUid) reasons.push('no StudyInstanceUID');
  if (!seriesUid) reasons.push('no SeriesInstanceUID');
  if (!text(meta.instance_uid)) reasons.push('no SOPInstanceUID');
  const studyKey = studyUid ?? UNKNOWN_STUDY;
  const placed = studyUid && seriesUid;
  return {
    series: {
      // An instance without a series UID joins its study's unknown series (or the archive-wide one).
      seriesKey: placed ? seriesUid : `unknown-series:${studyKey}`,
      studyKey,
      patientDigest: text(meta.patient_digest),
      kind: placed ? 'dicom' : 'unknown',
      modality: text(meta.modality)?.toUpperCase() ?? null,
      bodyPart: text(meta.body_part)?.toUpperCase() ?? null,
      studyDate: text(meta.study_date),
      studyDescription: text(meta.study_description),
      seriesDescription: text(meta.series_description),
      seriesNumber: number(meta.series_number),
      folderId: null,
      note: placed ? null : `Filed under an unknown ${studyUid ? 'series' : 'study'}: ${reasons.join(', ')}.`,
    },
    instance: {
      sopUid: text(meta.instance_uid),
      instanceNumber: number(meta.instance_number),
      slicePosition: number(meta.slice_position),
      frames,
      note: reasons.length > 0 ? `The header has ${reasons.join(', ')}.` : null,
    },
  };
}
