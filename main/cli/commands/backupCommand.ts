/** `simila backup --out FILE` and `simila restore FILE --home DIR [--force]`. */
import { backupHome, MaintenanceError, restoreHome } from '../../maintenance/backup';

function fail(json: boolean | undefined, error: unknown): number {
  const code = error instanceof MaintenanceError ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`simila: ${message}\n`);
  return error instanceof MaintenanceError ? 2 : 1;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export async function runBackupCommand(options: { out?: string; home?: string; index: boolean; thumbnails: boolean; json?: boolean }): Promise<number> {
  if (!options.out) return fail(options.json, new MaintenanceError('no-catalogue', 'backup needs --out FILE'));
  try {
    const result = await backupHome({ home: options.home, out: options.out, index: options.index, thumbnails: options.thumbnails });
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const left = [!result.includes.indexes && 'indexes (rebuilt from the stored vectors on first use)', !result.includes.thumbnails && 'thumbnails (`simila check --repair` remakes them)'].filter(Boolean);
      process.stdout.write(`Backed up ${result.home} to ${result.out}: ${result.entries} files, ${megabytes(result.bytes)} in ${result.seconds} s.${left.length > 0 ? ` Left out: ${left.join(', ')}.` : ''}\n`);
    }
    return 0;
  } catch (error) {
    return fail(options.json, error);
  }
}

export async function runRestoreCommand(file: string, options: { home?: string; force?: boolean; json?: boolean }): Promise<number> {
  try {
    const result = await restoreHome({ file, home: options.home, force: options.force });
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `Restored ${result.file} (made ${result.createdAt}) into ${result.home}: ${result.entries} files, ${result.images} images${result.replaced ? ', replacing what the folder held' : ''}.` +
          `${result.includes.indexes ? '' : ' Indexes are rebuilt from the stored vectors on first use.'}\n`,
      );
    }
    return 0;
  } catch (error) {
    return fail(options.json, error);
  }
}
