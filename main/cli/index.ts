/** The `simila` command line (bin/simila.js loads this through tsx). */
import { Command, InvalidArgumentError } from 'commander';
import { appVersion } from '../app/version';
import { DataHomeError } from '../home/dataHome';
import { asResourceFault, ResourceFaultError } from '../ingest/fsErrors';
import { addBenchCommands } from './commands/benchCommand';
import { runBackupCommand, runRestoreCommand } from './commands/backupCommand';
import { runCheckCommand } from './commands/checkCommand';
import { runEmbedCommand } from './commands/embedCommand';
import { addEvalCommand } from './commands/evalCommand';
import { parseIdList, runExportCommand } from './commands/exportCommand';
import { addFeedbackCommands } from './commands/feedbackCommand';
import { runImportCommand } from './commands/importCommand';
import { runInfoCommand } from './commands/infoCommand';
import { runListCommand } from './commands/listCommand';
import { runSearchCommand } from './commands/searchCommand';
import { runServeCommand } from './commands/serveCommand';
import { addTeamCommands } from './commands/teamCommands';
import { addTrainCommands } from './commands/trainCommand';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function choice<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    return value as T;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('simila')
    .description('Search specialist image archives by example.')
    .version(appVersion());
  const homeOption = ['--home <dir>', 'data home folder (default: $SIMILA_HOME or the OS app-data folder)'] as const;

  program
    .command('import')
    .description('import a folder of images, or sync a DICOMweb archive (dicomweb+http://HOST:PORT/PATH), into the catalogue')
    .argument('<folder|archive>', 'folder to scan recursively, or a DICOMweb archive URL (credentials from SIMILA_DICOMWEB_TOKEN or SIMILA_DICOMWEB_USER + SIMILA_DICOMWEB_PASSWORD, never in the URL)')
    .option('--json', 'print a JSON summary on stdout')
    .option(...homeOption)
    .option('--concurrency <n>', 'files (or archive instances) processed at once', positiveInt)
    .option('--study <uid>', 'archive only: sync this study (Study Instance UID)')
    .option('--since <date>', 'archive only: sync studies dated on or after YYYY-MM-DD')
    .action(async (folder: string, opts: { json?: boolean; home?: string; concurrency?: number; study?: string; since?: string }) => {
      process.exitCode = await runImportCommand(folder, opts);
    });

  program
    .command('list')
    .description('list catalogued images')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .option('--limit <n>', 'how many images', positiveInt, 100)
    .option('--by <level>', 'list series or studies instead of images (series | study)', choice(['series', 'study'] as const))
    .action(async (opts: { json?: boolean; home?: string; limit: number; by?: 'series' | 'study' }) => {
      process.exitCode = await runListCommand(opts);
    });

  program
    .command('info')
    .description('version, data home and image count')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (opts: { json?: boolean; home?: string }) => {
      process.exitCode = await runInfoCommand(opts);
    });

  program
    .command('serve')
    .description('run the app in browser mode on 127.0.0.1')
    .option(...homeOption)
    .option('--port <n>', 'port (default: a free one)', port)
    .option('--no-open', 'do not open a browser')
    .action(async (opts: { home?: string; port?: number; open: boolean }) => {
      process.exitCode = await runServeCommand(opts);
    });

  program
    .command('search')
    .description('find the archive images nearest to a catalogue image (a number) or an image file')
    .argument('<file|id>', 'catalogue image id, or a file of any importable format (DICOM included)')
    .option('-k, --k <n>', 'how many results', positiveInt, 20)
    .option('--json', 'print JSON')
    .option(...homeOption)
    .option('--folder <id>', 'only images in this catalogue folder', positiveInt)
    .option('--modality <m>', 'only images of this modality (DICOM Modality, e.g. CT)')
    .option('--label <name>', 'only images whose folder has this name')
    .option('--group <by>', 'series: at most one hit per series (its best instance, with the series hit count)', choice(['none', 'series'] as const))
    .option('--exclude <what>', "leave out the query's own series or study (none | series | study)", choice(['none', 'series', 'study'] as const))
    .action(async (query: string, opts: { k: number; json?: boolean; home?: string; folder?: number; modality?: string; label?: string; group?: 'none' | 'series'; exclude?: 'none' | 'series' | 'study' }) => {
      process.exitCode = await runSearchCommand(query, opts);
    });

  program
    .command('embed')
    .description('embed every catalogued image the active model has not embedded yet')
    .option('--json', 'print a JSON summary on stdout')
    .option(...homeOption)
    .option('--batch-size <n>', 'images per batch', positiveInt)
    .action(async (opts: { json?: boolean; home?: string; batchSize?: number }) => {
      process.exitCode = await runEmbedCommand(opts);
    });

  program
    .command('export')
    .description('copy a selection of catalogued images into a folder, optionally de-identified (DICOM Basic Profile)')
    .option('--out <dir>', 'folder to export into (created if missing; nothing in it is overwritten)')
    .option('--deidentify', 'de-identify DICOM files (PS3.15 Basic Profile, private tags removed); other files are skipped')
    .option('--date-shift-days <n>', 'with --deidentify: shift dates by a per-patient offset of up to N days instead of removing them', positiveInt)
    .option('--include-burned-in', 'with --deidentify: also export files that may show burned-in text')
    .option('--all', 'every catalogued image')
    .option('--from-search <id>', 'the hits of a saved result list', positiveInt)
    .option('--ids <ids>', 'catalogue image ids, comma-separated', (v: string) => {
      try {
        return parseIdList(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option('--json', 'print a JSON summary on stdout')
    .option(...homeOption)
    .action(async (opts: Parameters<typeof runExportCommand>[0]) => {
      process.exitCode = await runExportCommand(opts);
    });

  program
    .command('check')
    .description('check the data home: catalogue integrity, indexes vs stored vectors, model checksums, missing files, orphan renditions')
    .option('--repair', 'rebuild what can be rebuilt (indexes, thumbnails, orphan renditions removed); say what cannot')
    .option('--sample <n>', 'check this many image paths at random instead of all of them', positiveInt)
    .option('--json', 'print the report as JSON')
    .option(...homeOption)
    .action(async (opts: { repair?: boolean; sample?: number; json?: boolean; home?: string }) => {
      process.exitCode = await runCheckCommand(opts);
    });

  program
    .command('backup')
    .description('write the catalogue (online backup), models, marks, thumbnails and indexes into one checksummed file')
    .option('--out <file>', 'backup file to write (never overwritten)')
    .option('--no-index', 'leave the HNSW indexes out (they are rebuilt from the stored vectors)')
    .option('--no-thumbnails', 'leave thumbnails out (`simila check --repair` remakes them from the source files)')
    .option('--json', 'print a JSON summary')
    .option(...homeOption)
    .action(async (opts: { out?: string; index: boolean; thumbnails: boolean; json?: boolean; home?: string }) => {
      process.exitCode = await runBackupCommand(opts);
    });

  program
    .command('restore')
    .description('restore a backup file into a data home (verifies every checksum first)')
    .argument('<file>', 'a file written by `simila backup`')
    .option('--force', 'replace a data home that is not empty')
    .option('--json', 'print a JSON summary')
    .option(...homeOption)
    .action(async (file: string, opts: { force?: boolean; json?: boolean; home?: string }) => {
      process.exitCode = await runRestoreCommand(file, opts);
    });

  addBenchCommands(program, positiveInt);
  addEvalCommand(program, positiveInt);
  addTrainCommands(program, positiveInt);
  addFeedbackCommands(program, homeOption);
  addTeamCommands(program);

  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // A data home that cannot be used (read-only, full, not creatable) is a sentence, not a stack trace.
  const fault = error instanceof DataHomeError ? error : asResourceFault(error, 'the command could not write to it');
  if (!(fault instanceof DataHomeError) && !(fault instanceof ResourceFaultError)) throw error;
  process.stderr.write(`simila: ${fault.message}\n`);
  process.exitCode = 1;
}
