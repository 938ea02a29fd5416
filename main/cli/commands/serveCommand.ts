/** `simila serve`: the app in browser mode on a loopback port, until SIGINT/SIGTERM. */
import { createApp } from '../../app/createApp';
import type { SimilaApp } from '../../app/types';
import { InstanceLockError } from '../../home/instanceLock';
import { hasDisplay, openBrowser } from '../openBrowser';

interface BrowserServer {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}
type StartBrowserServer = (options: { app: SimilaApp; port?: number }) => Promise<BrowserServer>;

export async function runServeCommand(options: { home?: string; port?: number; open?: boolean }): Promise<number> {
  let app: SimilaApp;
  try {
    app = await createApp({ home: options.home, mode: 'browser', autoEmbed: true, warmUpEngineAfterMs: 1500 });
  } catch (error) {
    if (!(error instanceof InstanceLockError)) throw error;
    process.stderr.write(`simila: ${error.message}\n`);
    return 1;
  }
  let server: BrowserServer;
  try {
    // Loaded lazily: the server module (and its renderer assets) is only needed here.
    const module = (await import('../../server/browserServer')) as { startBrowserServer: StartBrowserServer };
    server = await module.startBrowserServer({ app, port: options.port });
  } catch (error) {
    await app.close();
    process.stderr.write(`simila: the browser server could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(`Simila is running at ${server.url}\n`);
  if (options.open !== false && hasDisplay()) openBrowser(server.url);
  // Listeners stay installed until shutdown is over: with `once`, a second signal (or a library that
  // re-raises it) would find no listener and kill the process mid-close, before the catalogue is closed.
  await new Promise<void>((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  await server.close();
  await app.close();
  return 0;
}
