#!/usr/bin/env node
// Makes sure the servers the team-store and DICOMweb tests start for themselves are installed: PostgreSQL
// 15 (initdb + pg_ctl, run as the harness's own unprivileged process) and Orthanc with its DICOMweb plugin.
// Installs what is missing with apt-get when we are root (CI, fresh machines); otherwise says how, and
// those tests skip with a sentence. Never fails the test run: the rest of the suite needs neither.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wanted = [
  { what: 'PostgreSQL 15', packages: ['postgresql-15'], present: () => existsSync('/usr/lib/postgresql/15/bin/initdb') },
  {
    what: 'Orthanc with DICOMweb',
    packages: ['orthanc', 'orthanc-dicomweb'],
    present: () => existsSync('/usr/sbin/Orthanc') && existsSync('/usr/share/orthanc/plugins/libOrthancDicomWeb.so'),
  },
];
const missing = wanted.filter((w) => !w.present());
if (missing.length === 0) process.exit(0);
const packages = missing.flatMap((m) => m.packages);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`${missing.map((m) => m.what).join(' and ')} not installed: those tests will skip (sudo apt-get install -y ${packages.join(' ')}).`);
  process.exit(0);
}
console.error(`Installing ${missing.map((m) => m.what).join(' and ')} for the team-store and DICOMweb tests (apt-get)...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const install = `apt-get install -y -qq --no-install-recommends ${packages.join(' ')}`;
try {
  try {
    execSync(install, { stdio: 'inherit', env });
  } catch {
    execSync(`apt-get update -qq && ${install}`, { stdio: 'inherit', env });
  }
} catch {
  console.error(`${packages.join(' ')} could not be installed: those tests will skip.`);
}
