/**
 * A small DICOMweb client on Node's fetch (undici): QIDO-RS to find studies, series and instances,
 * WADO-RS to retrieve instances as application/dicom parts of a multipart/related answer.
 *
 * Why not the npm `dicomweb-client` (0.11.3, the maintained one from the DCMJS/OHIF project): it is
 * written for browsers on XMLHttpRequest, which Node 20 does not have (it would need an XHR polyfill
 * such as xhr2 as a second dependency), it buffers and re-copies every answer through ArrayBuffers in
 * its own multipart splitter, and it has no per-request timeout or AbortSignal, no retry or back-off,
 * and reports failures as bare XHR status objects. What Simila needs from DICOMweb is five GET
 * requests and one multipart split: this file does that with fetch, AbortSignal, bounded retries with
 * exponential back-off and jitter, and errors that say what to do (unreachable, refused credentials,
 * not a DICOMweb service).
 *
 * Retries: network failures, 408, 429 and 5xx answers are retried (default 5 attempts, 250 ms doubling
 * to at most 8 s, with jitter; a Retry-After header is honoured up to that cap). 401, 403 and 404 are
 * not retried: they will not change.
 */
import { authorizationHeader, describeCredentials, type DicomwebCredentials } from './credentials';
import type { DicomwebSource } from './source';

export type DicomwebErrorCode = 'unreachable' | 'unauthorized' | 'forbidden' | 'not_dicomweb' | 'not_found' | 'server_error' | 'bad_response' | 'cancelled';

export class DicomwebError extends Error {
  constructor(
    readonly code: DicomwebErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DicomwebError';
  }
  /** The whole sync must stop (every later request would fail the same way). */
  get fatal(): boolean {
    return this.code === 'unreachable' || this.code === 'unauthorized' || this.code === 'forbidden' || this.code === 'not_dicomweb' || this.code === 'cancelled';
  }
}

/** One QIDO-RS result: DICOM JSON (PS3.18 F.2), tag -> { vr, Value }. */
export type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export const TAG = {
  studyUid: '0020000D',
  seriesUid: '0020000E',
  sopUid: '00080018',
  studyDate: '00080020',
  studyInstances: '00201208',
  seriesInstances: '00201209',
  modality: '00080060',
} as const;

export function tagString(item: DicomJson, tag: string): string | null {
  const v = item[tag]?.Value?.[0];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
}

export function tagNumber(item: DicomJson, tag: string): number | null {
  const v = item[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000 };

export interface DicomwebClientOptions {
  source: DicomwebSource;
  credentials?: DicomwebCredentials | null;
  retry?: Partial<RetryPolicy>;
  /** Per-request time limit (default 120 s). */
  timeoutMs?: number;
  /** QIDO page size (default 1000; Orthanc's default limit for QIDO answers is 100 unless asked). */
  pageSize?: number;
  fetch?: typeof fetch;
  /** Called before each retry (for diagnostics/tests; never given credentials). */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface StudyQuery {
  studyUid?: string;
  /** Studies on or after this date (YYYYMMDD). */
  since?: string;
}

export interface DicomwebClient {
  readonly source: DicomwebSource;
  studies(query: StudyQuery, signal?: AbortSignal): Promise<DicomJson[]>;
  series(studyUid: string, signal?: AbortSignal): Promise<DicomJson[]>;
  instances(studyUid: string, seriesUid: string, signal?: AbortSignal): Promise<DicomJson[]>;
  /** The instance's bytes as stored (transfer-syntax=*: no transcoding, so the content hash matches a file copy). */
  retrieveInstance(studyUid: string, seriesUid: string, sopUid: string, signal?: AbortSignal): Promise<Buffer>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new DicomwebError('cancelled', 'The sync was cancelled.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DicomwebError('cancelled', 'The sync was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
  if ((error as { name?: string }).name === 'TimeoutError') return 'no answer within the time limit';
  return cause?.message ?? code ?? String(error);
}

/** Splits a multipart/related body into its parts' bodies (RFC 2046); headers of the parts are returned too. */
export function splitMultipart(body: Buffer, contentType: string): { headers: string; body: Buffer }[] {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new DicomwebError('bad_response', `The answer is multipart without a boundary (${contentType}).`);
  const delimiter = Buffer.from(`--${m[1]!.trim()}`);
  const parts: { headers: string; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    let start = at + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing delimiter
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) break;
    const headers = body.subarray(start, headerEnd).toString('latin1');
    start = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next < 0) throw new DicomwebError('bad_response', 'The multipart answer was cut short (no closing boundary).');
    parts.push({ headers, body: body.subarray(start, next) });
    at = next + 2;
  }
  return parts;
}

export function createDicomwebClient(options: DicomwebClientOptions): DicomwebClient {
  const { source } = options;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 120_000;
  const pageSize = options.pageSize ?? 1000;
  const doFetch = options.fetch ?? fetch;
  const auth = authorizationHeader(options.credentials ?? null);
  const origin = `${source.base}`;

  const refused = (status: number, what: string): DicomwebError => {
    const creds = describeCredentials(options.credentials ?? null);
    if (status === 401) {
      return new DicomwebError(
        'unauthorized',
        options.credentials
          ? `The DICOMweb server at ${origin} refused the credentials (HTTP 401; ${creds} from the environment or the app's secret store). Check SIMILA_DICOMWEB_TOKEN, or SIMILA_DICOMWEB_USER and SIMILA_DICOMWEB_PASSWORD.`
          : `The DICOMweb server at ${origin} asks for credentials (HTTP 401). Set SIMILA_DICOMWEB_TOKEN, or SIMILA_DICOMWEB_USER and SIMILA_DICOMWEB_PASSWORD, in the environment.`,
        status,
      );
    }
    if (status === 403) return new DicomwebError('forbidden', `The DICOMweb server at ${origin} does not let ${creds} ${what} (HTTP 403).`, status);
    return new DicomwebError('not_found', `The DICOMweb server at ${origin} answered HTTP ${status} for ${what}.`, status);
  };

  /** GET with retries; returns the response of a 2xx answer. */
  const get = async (url: string, accept: string, what: string, signal?: AbortSignal): Promise<Response> => {
    let lastReason = '';
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new DicomwebError('cancelled', 'The sync was cancelled.');
      const headers: Record<string, string> = { accept };
      if (auth) headers.authorization = auth;
      let response: Response | null = null;
      let retryAfterMs: number | null = null;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        response = await doFetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: 'error' });
      } catch (error) {
        if (signal?.aborted) throw new DicomwebError('cancelled', 'The sync was cancelled.');
        lastReason = networkReason(error);
      }
      if (response) {
        if (response.ok) return response;
        await response.body?.cancel().catch(() => undefined);
        if (response.status === 401 || response.status === 403) throw refused(response.status, what);
        if (response.status === 404 || response.status === 400 || response.status === 405 || response.status === 406 || response.status === 415) {
          throw refused(response.status, what);
        }
        lastReason = `HTTP ${response.status}`;
        const after = Number(response.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) retryAfterMs = after * 1000;
        if (!(response.status === 408 || response.status === 429 || response.status >= 500)) {
          throw new DicomwebError('server_error', `The DICOMweb server at ${origin} answered ${lastReason} for ${what}.`, response.status);
        }
      }
      if (attempt >= retry.attempts) {
        if (!response) {
          throw new DicomwebError(
            'unreachable',
            `Cannot reach the DICOMweb server at ${origin} (${lastReason}; tried ${attempt} times). Check the host and port, and that the server is running.`,
          );
        }
        throw new DicomwebError('server_error', `The DICOMweb server at ${origin} kept answering ${lastReason} for ${what} (tried ${attempt} times).`, response.status);
      }
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.min(retry.maxDelayMs, Math.max(retryAfterMs ?? 0, backoff * (0.5 + Math.random() * 0.5)));
      options.onRetry?.({ url, attempt, delayMs, reason: lastReason });
      await sleep(delayMs, signal);
    }
  };

  const qido = async (pathAndQuery: string, params: Record<string, string>, what: string, signal?: AbortSignal): Promise<DicomJson[]> => {
    const all: DicomJson[] = [];
    for (let offset = 0; ; offset += pageSize) {
      const query = new URLSearchParams({ ...params, limit: String(pageSize), offset: String(offset) });
      const url = `${source.base}${pathAndQuery}?${query.toString()}`;
      let response: Response;
      try {
        response = await get(url, 'application/dicom+json, application/json', what, signal);
      } catch (error) {
        if (error instanceof DicomwebError && error.code === 'not_found' && pathAndQuery === '/studies') {
          throw new DicomwebError(
            'not_dicomweb',
            `${source.base} is not a DICOMweb service: QIDO-RS /studies answered HTTP ${error.status}. Check the path (Orthanc serves DICOMweb under /dicom-web).`,
            error.status,
          );
        }
        throw error;
      }
      if (response.status === 204) return all;
      const text = await response.text();
      let page: unknown;
      try {
        page = text.trim() === '' ? [] : JSON.parse(text);
      } catch {
        throw new DicomwebError('not_dicomweb', `${source.base} is not a DICOMweb service: ${what} did not answer DICOM JSON (content type ${response.headers.get('content-type') ?? 'none'}).`);
      }
      if (!Array.isArray(page)) throw new DicomwebError('not_dicomweb', `${source.base} is not a DICOMweb service: ${what} did not answer a JSON array.`);
      all.push(...(page as DicomJson[]));
      if (page.length < pageSize) return all;
    }
  };

  return {
    source,
    studies(query, signal) {
      const params: Record<string, string> = { includefield: `${TAG.studyDate},${TAG.studyInstances}` };
      if (query.studyUid) params.StudyInstanceUID = query.studyUid;
      if (query.since) params.StudyDate = `${query.since}-`;
      return qido('/studies', params, 'the study search (QIDO-RS)', signal);
    },
    series(studyUid, signal) {
      return qido(`/studies/${encodeURIComponent(studyUid)}/series`, { includefield: TAG.seriesInstances }, `the series search of study ${studyUid}`, signal);
    },
    instances(studyUid, seriesUid, signal) {
      return qido(`/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/instances`, {}, `the instance search of series ${seriesUid}`, signal);
    },
    async retrieveInstance(studyUid, seriesUid, sopUid, signal) {
      const url = `${source.base}/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/instances/${encodeURIComponent(sopUid)}`;
      const what = `instance ${sopUid} (WADO-RS)`;
      const response = await get(url, 'multipart/related; type="application/dicom"; transfer-syntax=*', what, signal);
      const contentType = response.headers.get('content-type') ?? '';
      const body = Buffer.from(await response.arrayBuffer());
      if (/^application\/dicom/i.test(contentType)) return body;
      if (!/^multipart\/related/i.test(contentType)) throw new DicomwebError('bad_response', `${what} came back as ${contentType || 'no content type'}, not DICOM.`);
      const parts = splitMultipart(body, contentType);
      if (parts.length !== 1) throw new DicomwebError('bad_response', `${what} came back with ${parts.length} parts instead of one.`);
      return Buffer.from(parts[0]!.body); // a copy: the rest of the answer can be freed
    },
  };
}
