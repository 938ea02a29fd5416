/** The machine a benchmark ran on, as every bench JSON reports it (figures are only comparable on the same one). */
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  total_mem_gb: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    total_mem_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
