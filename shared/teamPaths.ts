/**
 * Images pulled from the team store (issue 13) whose file lives on another workstation are listed in the
 * library under a remote path: `team://<workstation>/<the path there>`. Such a path never names a local
 * file (no absolute local path starts with `team:`), so an import of a local folder never touches it, and
 * the viewer says where the file is instead of failing. No Node or DOM imports: main and renderer share it.
 */
export const REMOTE_PATH_SCHEME = 'team://';

export function remotePath(workstation: string | null, source: string | null, hash: string, format: string): string {
  const where = encodeURIComponent(workstation || 'unknown');
  const what = source && source.trim() !== '' ? source : `${hash.slice(0, 16)}.${format}`;
  return `${REMOTE_PATH_SCHEME}${where}${what.startsWith('/') ? '' : '/'}${what}`;
}

export function isRemotePath(path: string): boolean {
  return path.startsWith(REMOTE_PATH_SCHEME);
}

/** The workstation and its path of a remote path; null for a local path. */
export function parseRemotePath(path: string): { workstation: string; source: string } | null {
  if (!isRemotePath(path)) return null;
  const rest = path.slice(REMOTE_PATH_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { workstation: decodeURIComponent(rest), source: '' };
  let source = rest.slice(slash);
  if (/^\/[A-Za-z]:[\\/]/.test(source) || source.startsWith('/\\\\')) source = source.slice(1); // a Windows path
  let workstation = rest.slice(0, slash);
  try {
    workstation = decodeURIComponent(workstation);
  } catch {
    // shown as stored
  }
  return { workstation, source };
}

/** "/data/a.png (on another workstation: ws-a)" for a remote path; the path itself otherwise. */
export function describePath(path: string): string {
  const remote = parseRemotePath(path);
  return remote ? `${remote.source} (on another workstation: ${remote.workstation})` : path;
}
