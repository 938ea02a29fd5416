/** The JSON lines a child process prints (progress records of `--json` commands), parsed as they come; other lines are skipped. */
import type { Readable } from 'node:stream';

export function collectJsonLines(stream: Readable): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON
      }
    }
  });
  return lines;
}
