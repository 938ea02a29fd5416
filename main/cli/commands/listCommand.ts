/** `simila list`: the catalogued images, one per line (or a JSON array). */
import path from 'node:path';
import { openServices } from '../../app/services';

export async function runListCommand(options: { json?: boolean; home?: string; limit?: number }): Promise<number> {
  const services = openServices({ home: options.home });
  try {
    const limit = options.limit ?? 100;
    const items = services.catalogue.images.page(0, limit, null);
    const total = services.catalogue.images.countVisible();
    if (options.json) {
      const out = items.map((i) => ({ id: i.id, name: path.basename(i.path), path: i.path, width: i.width, height: i.height, format: i.format }));
      process.stdout.write(`${JSON.stringify({ total, items: out })}\n`);
    } else {
      for (const i of items) process.stdout.write(`${i.id}\t${i.width}x${i.height}\t${i.format}\t${i.path}\n`);
      if (total > items.length) process.stderr.write(`(${items.length} of ${total} shown; use --limit)\n`);
    }
    return 0;
  } finally {
    await services.close();
  }
}
