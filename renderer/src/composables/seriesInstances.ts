/**
 * Every image id of some series (`library.series`), for actions that apply to a whole series: marking
 * all its instances in feedback, labelling them for a class. Series asked for twice in one call are
 * asked once.
 */
import type { SimilaClient } from '../rpc/types';

export async function seriesImageIds(client: SimilaClient, seriesIds: readonly number[]): Promise<Map<number, number[]>> {
  const unique = [...new Set(seriesIds)];
  const answers = await Promise.all(unique.map((seriesId) => client.call('library.series', { seriesId })));
  return new Map(unique.map((id, i) => [id, answers[i]!.instances.map((instance) => instance.imageId)]));
}

/** The ids to act on: each hit's own id, widened to all of its series' instances where it has a series. */
export async function widenToSeries(
  client: SimilaClient,
  hits: ReadonlyArray<{ imageId: number; seriesId: number | null | undefined }>,
): Promise<number[]> {
  const seriesIds = hits.map((h) => h.seriesId).filter((id): id is number => typeof id === 'number' && id > 0);
  const bySeries = seriesIds.length > 0 ? await seriesImageIds(client, seriesIds) : new Map<number, number[]>();
  const out = new Set<number>();
  for (const hit of hits) {
    out.add(hit.imageId);
    for (const id of (hit.seriesId ? bySeries.get(hit.seriesId) : undefined) ?? []) out.add(id);
  }
  return [...out];
}
