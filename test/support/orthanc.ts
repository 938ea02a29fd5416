/**
 * A real Orthanc (with its DICOMweb plugin) for tests and benchmarks: started as this process's own
 * child in a temporary folder with a generated configuration (loopback only, a random free HTTP port,
 * no DICOM listener, HTTP basic authentication on, storage and index in the temp folder), stopped and
 * removed afterwards. Nothing is mocked. `findOrthanc()` says why when it is not installed
 * (Debian: apt-get install orthanc orthanc-dicomweb) so callers can skip with that sentence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface OrthancInstall {
  binary: string;
  plugin: string;
}

const BINARIES = ['/usr/sbin/Orthanc', '/usr/bin/Orthanc', '/usr/local/sbin/Orthanc', '/usr/local/bin/Orthanc'];
const PLUGINS = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/lib/orthanc/libOrthancDicomWeb.so',
  '/usr/local/share/orthanc/plugins/libOrthancDicomWeb.so',
];

/** The Orthanc binary and DICOMweb plugin, or a sentence saying what is missing ($SIMILA_ORTHANC / $SIMILA_ORTHANC_DICOMWEB override). */
export function findOrthanc(env: NodeJS.ProcessEnv = process.env): OrthancInstall | { missing: string } {
  const binary = [env.SIMILA_ORTHANC, ...BINARIES].find((p): p is string => !!p && existsSync(p));
  if (!binary) return { missing: 'Orthanc is not installed (apt-get install -y orthanc orthanc-dicomweb, or set SIMILA_ORTHANC to its binary)' };
  let plugin = [env.SIMILA_ORTHANC_DICOMWEB, ...PLUGINS].find((p): p is string => !!p && existsSync(p));
  if (!plugin && existsSync('/usr/lib/orthanc')) {
    // Debian names the library with its version (libOrthancDicomWeb.so.1.7).
    const found = readdirSync('/usr/lib/orthanc').find((n) => n.startsWith('libOrthancDicomWeb.so'));
    if (found) plugin = path.join('/usr/lib/orthanc', found);
  }
  if (!plugin) return { missing: "Orthanc's DICOMweb plugin is not installed (apt-get install -y orthanc-dicomweb, or set SIMILA_ORTHANC_DICOMWEB)" };
  return { binary, plugin };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface OrthancServer {
  port: number;
  user: string;
  password: string;
  /** http://127.0.0.1:PORT */
  http: string;
  /** dicomweb+http://127.0.0.1:PORT/dicom-web (what `simila import` takes) */
  dicomwebUrl: string;
  dir: string;
  /** Environment for `simila import` with this server's credentials. */
  credentialsEnv(): Record<string, string>;
  /** GET/POST on the REST API with the credentials. */
  rest(method: 'GET' | 'POST' | 'DELETE', route: string, body?: Buffer): Promise<Response>;
  /**
   * Uploads files (POST /instances). `stored`: files Orthanc stored as a new instance (their bytes are
   * what it serves); `alreadyStored`: accepted but not stored, because an instance with the same
   * patient/study/series/SOP UIDs was there first (e.g. one image in several transfer syntaxes);
   * `refused`: files Orthanc rejected, with the HTTP status.
   */
  upload(files: string[], concurrency?: number): Promise<UploadResult>;
  stop(): Promise<void>;
}

export interface UploadResult {
  stored: string[];
  alreadyStored: string[];
  refused: { file: string; status: number }[];
}

export interface StartOrthancOptions {
  install?: OrthancInstall;
  user?: string;
  password?: string;
  /** Extra configuration keys. */
  config?: Record<string, unknown>;
}

export async function startOrthanc(options: StartOrthancOptions = {}): Promise<OrthancServer> {
  const found = options.install ?? findOrthanc();
  if ('missing' in found) throw new Error(found.missing);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simila-orthanc-'));
  const port = await freePort();
  const dicomPort = await freePort();
  const user = options.user ?? 'simila';
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const config = {
    Name: 'SIMILA-TEST',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    HttpPort: port,
    HttpServerEnabled: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [user]: password },
    DicomServerEnabled: false,
    DicomPort: dicomPort,
    StorageCompression: false,
    HttpCompressionEnabled: false,
    UnknownSopClassAccepted: true,
    SaveJobs: false,
    HttpThreadsCount: 16,
    LimitFindResults: 0,
    LimitFindInstances: 0,
    Plugins: [found.plugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Ssl: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
    ...options.config,
  };
  const configFile = path.join(dir, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(found.binary, [configFile], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const http = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const rest: OrthancServer['rest'] = (method, route, body) =>
    fetch(`${http}${route}`, { method, headers: { authorization: auth, ...(body ? { 'content-type': 'application/dicom' } : {}) }, body: body ? new Uint8Array(body) : undefined });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`Orthanc exited at start-up (code ${child.exitCode}):\n${log.slice(-3000)}`);
    }
    try {
      const r = await rest('GET', '/system');
      if (r.ok) {
        await r.text();
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`Orthanc did not answer within 60 s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopped = false;
  return {
    port,
    user,
    password,
    http,
    dicomwebUrl: `dicomweb+${http}/dicom-web`,
    dir,
    credentialsEnv: () => ({ SIMILA_DICOMWEB_USER: user, SIMILA_DICOMWEB_PASSWORD: password }),
    rest,
    async upload(files, concurrency = 4) {
      const stored: string[] = [];
      const alreadyStored: string[] = [];
      const refused: { file: string; status: number }[] = [];
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          const file = files[next++]!;
          const bytes = await fs.readFile(file);
          const r = await rest('POST', '/instances', bytes);
          const text = await r.text();
          if (!r.ok) {
            refused.push({ file, status: r.status });
            continue;
          }
          let status = 'Success';
          try {
            status = (JSON.parse(text) as { Status?: string }).Status ?? status;
          } catch {
            // a non-JSON success answer still means stored
          }
          (status === 'AlreadyStored' ? alreadyStored : stored).push(file);
        }
      };
      // One at a time per file name order keeps which duplicate is stored first deterministic enough for
      // tests that need it: they upload with concurrency 1.
      await Promise.all(Array.from({ length: concurrency }, worker));
      return { stored: stored.sort(), alreadyStored: alreadyStored.sort(), refused };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
