/** File-system and storage errors as short sentences, and the resource faults that stop a job. */

/** A file-system error as a short sentence part: the errno code first when there is one. */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (!e.code) return String(error);
  return e.message?.startsWith(`${e.code}:`) ? e.message : `${e.code}: ${e.message}`;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** No space left where the data home lives: ENOSPC / EDQUOT from the file system, SQLITE_FULL from the catalogue. */
export function isDiskFull(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  if (error instanceof ResourceFaultError) return error.code === 'disk_full';
  return /database or disk is full|no space left on device/i.test(error instanceof Error ? error.message : '');
}

/** The data home cannot be written: a read-only file system, or a catalogue opened read-only. */
export function isReadOnlyFault(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) return true;
  return error instanceof ResourceFaultError && error.code === 'read_only';
}

/** Permission denied by the operating system (mode bits, ACLs, mount options). */
export function isPermissionDenied(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'EACCES' || code === 'EPERM';
}

/** A vanished file or folder (moved, deleted, or its drive unplugged while the job ran). */
export function isGone(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'ENXIO' || code === 'EIO';
}

export type ResourceFaultCode = 'disk_full' | 'read_only';

/**
 * A fault of the machine, not of one file: the job stops (what it did so far is kept) and says how
 * to recover. `code` is the reason code failures are recorded with.
 */
export class ResourceFaultError extends Error {
  constructor(
    readonly code: ResourceFaultCode,
    message: string,
    readonly original?: unknown,
  ) {
    super(message);
    this.name = 'ResourceFaultError';
  }
}

/** "The disk holding the data home is full ..." with what could not be written and how to go on. */
export function diskFullMessage(what: string, error: unknown, recovery = 'Free some space and run it again: what was done so far is kept.'): string {
  return `The disk holding the data home is full: ${what} (${describeFsError(error)}). ${recovery}`;
}

/** Wraps a disk-full or read-only error as a ResourceFaultError with a sentence; other errors unchanged. */
export function asResourceFault(error: unknown, what: string, recovery?: string): unknown {
  if (error instanceof ResourceFaultError) return error;
  if (isDiskFull(error)) return new ResourceFaultError('disk_full', diskFullMessage(what, error, recovery), error);
  if (isReadOnlyFault(error)) {
    return new ResourceFaultError('read_only', `The data home is read-only: ${what} (${describeFsError(error)}). Make it writable (or choose another with --home) and run it again.`, error);
  }
  return error;
}

/** An entry or file that could not be read, with a reason a user can act on. */
export function describeUnreadable(error: unknown, what: 'entry' | 'file' | 'folder'): { code: string; message: string } {
  if (isPermissionDenied(error)) {
    return { code: 'permission_denied', message: `Permission denied: the user running Simila may not read this ${what} (${describeFsError(error)}).` };
  }
  if (isGone(error)) {
    return { code: 'read_error', message: `The ${what} is no longer there (moved, deleted, or its drive unplugged): ${describeFsError(error)}. Import the folder again once it is back.` };
  }
  if (isReadOnlyFault(error)) return { code: 'read_only', message: `The ${what} could not be read: ${describeFsError(error)}` };
  return { code: 'read_error', message: `The ${what} could not be read: ${describeFsError(error)}` };
}
