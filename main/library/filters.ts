/** The contract's filters as the facet index evaluates them. */
import type { SearchFilters } from '../../shared/rpc/contract';
import type { FacetFilters } from './facetIndex';

export function toFacetFilters(filters: SearchFilters | undefined): FacetFilters {
  if (!filters) return {};
  const modality = [...(filters.modalities ?? []), ...(filters.modality ? [filters.modality] : [])];
  const out: FacetFilters = {};
  if (modality.length > 0) out.modality = modality;
  if (filters.bodyParts?.length) out.bodyPart = filters.bodyParts;
  if (filters.seriesDescriptions?.length) out.seriesDescription = filters.seriesDescriptions;
  if (filters.formats?.length) out.format = filters.formats;
  if (filters.folders?.length) out.folder = filters.folders.map(String);
  if (filters.studyDateFrom) out.studyDateFrom = filters.studyDateFrom;
  if (filters.studyDateTo) out.studyDateTo = filters.studyDateTo;
  if (filters.seriesId !== undefined) out.seriesId = filters.seriesId;
  return out;
}
