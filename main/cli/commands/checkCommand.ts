/** `simila check [--repair] [--json]`: integrity of a data home; with --repair, rebuilds what can be rebuilt. */
import { checkHome, type CheckProblem, type CheckProgress } from '../../maintenance/check';

export interface CheckCommandOptions {
  repair?: boolean;
  json?: boolean;
  home?: string;
  sample?: number;
}

/** A throttled progress line on a TTY stderr (nothing otherwise). */
function progressWriter(stream: NodeJS.WriteStream = process.stderr): { update(p: CheckProgress): void; done(): void } {
  const enabled = stream.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(p) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100 && p.done < p.total) return;
      last = now;
      stream.write(`\r\x1b[2Kchecking ${p.phase}: ${p.done}/${p.total}`);
      shown = true;
    },
    done() {
      if (enabled && shown) stream.write('\r\x1b[2K');
    },
  };
}

function line(problem: CheckProblem, repairRun: boolean): string {
  let status = problem.repairable ? 'repairable' : 'cannot be repaired';
  if (repairRun) status = problem.repaired ? 'repaired' : problem.repairable ? `repair failed: ${problem.repairError ?? 'unknown error'}` : 'cannot be repaired';
  return `  [${problem.kind}] ${problem.detail} (${status})`;
}

export async function runCheckCommand(options: CheckCommandOptions): Promise<number> {
  const progress = progressWriter();
  const report = await checkHome({
    home: options.home,
    repair: options.repair === true,
    sample: options.sample,
    onProgress: (p) => progress.update(p),
  });
  progress.done();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const c = report.checked;
    const scanned = c.sampled ? `${c.paths} of ${c.pathsTotal} image paths (a random sample)` : `${c.paths} image paths`;
    process.stdout.write(`Checked ${report.home}: catalogue${c.catalogue ? '' : ' (unreadable)'}, ${c.models.length} model(s), ${scanned}, ${c.cacheFiles} thumbnail/rendition files.\n`);
    if (report.problems.length === 0) process.stdout.write('No problems found.\n');
    else {
      const shown = report.problems.slice(0, 200);
      process.stdout.write(`${report.problems.length} problem(s):\n${shown.map((p) => line(p, report.repair)).join('\n')}\n`);
      if (report.problems.length > shown.length) process.stdout.write(`  ... and ${report.problems.length - shown.length} more (all of them with --json)\n`);
      if (report.repair) process.stdout.write(`Repaired ${report.repaired}; ${report.unrepaired} left that cannot be repaired here.\n`);
      else if (report.problems.some((p) => p.repairable)) process.stdout.write('Run `simila check --repair` to fix the repairable ones.\n');
    }
  }
  return report.ok ? 0 : 1;
}
