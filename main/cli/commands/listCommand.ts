/**
 * `simila list`: the catalogued images, one per line (or JSON); `--by series|study` lists the
 * patient > study > series tree instead (filing images catalogued before the tree existed first).
 */
import path from 'node:path';
import { openServices } from '../../app/services';
import { facetIndexFor } from '../../library/facetIndex';
import { backfillHierarchy } from '../../library/hierarchyBackfill';
import { buildSeriesTree } from '../../library/seriesTree';

export interface ListOptions {
  json?: boolean;
  home?: string;
  limit?: number;
  by?: 'series' | 'study';
}

export async function runListCommand(options: ListOptions): Promise<number> {
  const services = openServices({ home: options.home });
  try {
    if (options.by) return await listGrouped(services, options.by, !!options.json);
    const limit = options.limit ?? 100;
    const items = services.catalogue.images.page(0, limit, null);
    const total = services.catalogue.images.countVisible();
    if (options.json) {
      const out = items.map((i) => ({ id: i.id, name: path.basename(i.path), path: i.path, width: i.width, height: i.height, format: i.format }));
      process.stdout.write(`${JSON.stringify({ total, items: out })}\n`);
    } else {
      for (const i of items) process.stdout.write(`${i.id}\t${i.width}x${i.height}\t${i.format}\t${i.path}\n`);
      if (total > items.length) process.stderr.write(`(${items.length} of ${total} shown; use --limit)\n`);
    }
    return 0;
  } finally {
    await services.close();
  }
}

async function listGrouped(services: ReturnType<typeof openServices>, by: 'series' | 'study', json: boolean): Promise<number> {
  const { catalogue } = services;
  if (catalogue.hierarchy.countUnfiled() > 0) {
    process.stderr.write(`filing ${catalogue.hierarchy.countUnfiled()} images into studies and series (header re-read)...\n`);
    await backfillHierarchy(catalogue);
  }
  const patients = buildSeriesTree(facetIndexFor(catalogue), {});
  if (by === 'series') {
    const series = patients.flatMap((p) =>
      p.studies.flatMap((st) =>
        st.series.map((s) => ({
          id: s.id,
          series_uid: s.seriesUid,
          study_uid: st.studyUid,
          patient: p.label,
          study: st.label,
          label: s.label,
          kind: s.kind,
          modality: s.modality,
          body_part: s.bodyPart,
          description: s.description,
          number: s.number,
          instances: s.instances,
          middle_image_id: s.middleImageId,
          note: s.note,
        })),
      ),
    );
    if (json) process.stdout.write(`${JSON.stringify({ series })}\n`);
    else for (const s of series) process.stdout.write(`${s.id}\t${s.modality ?? '-'}\t${s.instances}\t${s.patient} / ${s.study} / ${s.label}\n`);
    return 0;
  }
  const studies = patients.flatMap((p) =>
    p.studies.map((st) => ({
      study_uid: st.studyUid,
      key: st.key,
      patient: p.label,
      label: st.label,
      date: st.date,
      description: st.description,
      series: st.series.length,
      instances: st.instances,
      modalities: [...new Set(st.series.map((s) => s.modality).filter((m): m is string => !!m))],
    })),
  );
  if (json) process.stdout.write(`${JSON.stringify({ studies })}\n`);
  else for (const st of studies) process.stdout.write(`${st.series} series\t${st.instances}\t${st.patient} / ${st.label}\n`);
  return 0;
}
