/**
 * A DICOMweb source as the user names it: `dicomweb+http://HOST:PORT/PATH` (or `dicomweb+https://`).
 * The URL is the source's identity in the catalogue and in job parameters, so it never carries
 * credentials: a URL with `user:pass@` is refused with a sentence that says where credentials go
 * (they would otherwise show in `ps`, shell history, logs and the catalogue). Query strings and
 * fragments are refused too (QIDO filters are options, not part of the source).
 */

export const DICOMWEB_SCHEMES = ['dicomweb+http:', 'dicomweb+https:'] as const;

export interface DicomwebSource {
  /** Canonical name without credentials, e.g. `dicomweb+http://127.0.0.1:8042/dicom-web`. */
  url: string;
  /** The HTTP base the client talks to, e.g. `http://127.0.0.1:8042/dicom-web` (no trailing slash). */
  base: string;
  host: string;
  port: number;
}

export class DicomwebUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomwebUrlError';
  }
}

export function isDicomwebUrl(value: string): boolean {
  return /^dicomweb\+https?:\/\//i.test(value.trim());
}

export function parseDicomwebUrl(value: string): DicomwebSource {
  const text = value.trim();
  if (!isDicomwebUrl(text)) {
    throw new DicomwebUrlError('A DICOMweb archive is named dicomweb+http://HOST:PORT/PATH (or dicomweb+https://...), e.g. dicomweb+http://pacs.local:8042/dicom-web.');
  }
  let parsed: URL;
  try {
    parsed = new URL(text.replace(/^dicomweb\+/i, ''));
  } catch {
    throw new DicomwebUrlError(`"${redactUrl(text)}" is not a valid URL.`);
  }
  if (parsed.username || parsed.password) {
    throw new DicomwebUrlError(
      'The archive URL must not carry a user name or password (it would show in process lists, logs and the catalogue). ' +
        'Give them in the environment instead: SIMILA_DICOMWEB_USER and SIMILA_DICOMWEB_PASSWORD, or SIMILA_DICOMWEB_TOKEN for a bearer token.',
    );
  }
  if (parsed.search || parsed.hash) throw new DicomwebUrlError('The archive URL must not have a query or fragment: use --study or --since to choose studies.');
  const scheme = parsed.protocol; // http: | https:
  const port = parsed.port ? Number(parsed.port) : scheme === 'https:' ? 443 : 80;
  const pathname = parsed.pathname.replace(/\/+$/, '');
  const hostPart = parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  return {
    url: `dicomweb+${scheme}//${hostPart}${pathname}`,
    base: `${scheme}//${hostPart}${pathname}`,
    host: parsed.hostname,
    port,
  };
}

/** Removes any `user:pass@` from a URL-like string (for messages about a URL that was refused). */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^/@\s]*@/g, '$1');
}

/** The stable source identity of one instance (shown to users; the catalogue keeps source + UIDs). */
export function instanceIdentity(source: DicomwebSource, study: string, series: string, sop: string): string {
  return `${source.url.replace(/^dicomweb\+https?:/, 'dicomweb:')}/studies/${study}/series/${series}/instances/${sop}`;
}

/** A DICOM UID: digits and dots, at most 64 characters (PS3.5 9.1). Anything else from a server is refused (it names cache files). */
export function isDicomUid(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 64 && /^[0-9]+(\.[0-9]+)*$/.test(value);
}

/** `--since` as a DICOM date: YYYY-MM-DD or YYYYMMDD -> YYYYMMDD; null when it is not a real date. */
export function parseSinceDate(value: string): string | null {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return null;
  return `${y}${mo}${d}`;
}
