/**
 * What blocks an event loop, read from a V8 CPU profile (`node --cpu-prof`, or the soak's
 * `--soak-cpu-profile`). A block is a run of consecutive samples that are not `(idle)`: while it lasts
 * no request can be answered. Each block's samples are attributed to the innermost frame of this project
 * on their stack (a library call such as hnswlib's searchKnn shows as the project function that made
 * it), and to the chain of project frames above it, so "what is slow" and "who asked for it" both show.
 * Samples with no project frame keep their leaf (`(garbage collector)`, `(program)`, a node: internal).
 */
import { readFileSync } from 'node:fs';

/** The parts of Chrome DevTools' Profile object that are read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds between a sample and the one before it (the first: since startTime). */
  timeDeltas: number[];
}

export interface BlockOptions {
  /** Blocks shorter than this are not reported (default 50 ms). */
  minMs?: number;
  /** A frame belongs to the project when its url contains one of these (default /main/ and /bench/, not node_modules). */
  projectMarkers?: string[];
  /** How many of the longest blocks to list (default 20). */
  longest?: number;
}

export interface FrameShare {
  frame: string;
  ms: number;
  /** Blocks in which this frame had at least one sample. */
  blocks: number;
}

export interface BlockReport {
  profiled_s: number;
  busy_ms: number;
  blocks: number;
  block_ms: number;
  min_block_ms: number;
  /** Time inside blocks by innermost project frame, largest first. */
  by_frame: FrameShare[];
  /** Time inside blocks by chain of project frames (outermost first, at most four), largest first. */
  by_chain: FrameShare[];
  longest: { at_s: number; ms: number; top: string[] }[];
}

export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function profileBlocks(profile: CpuProfile, options: BlockOptions = {}): BlockReport {
  const minMs = options.minMs ?? 50;
  const markers = options.projectMarkers ?? ['/main/', '/bench/'];
  const isProject = (url: string) => !url.includes('node_modules') && markers.some((m) => url.includes(m));

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
    return f.url ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName;
  };
  // Per profile node: [innermost project frame or leaf, chain of project frames], memoised (nodes repeat).
  const attribution = new Map<number, [string, string]>();
  const attribute = (id: number): [string, string] => {
    const known = attribution.get(id);
    if (known) return known;
    const chain: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (isProject(byId.get(at)!.callFrame.url)) chain.push(label(at));
    }
    const result: [string, string] = chain.length > 0 ? [chain[0]!, chain.slice(0, 4).reverse().join(' > ')] : [label(id), label(id)];
    attribution.set(id, result);
    return result;
  };

  // Sample i stands for the interval since the sample before it (its time delta).
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const duration = (i: number) => (profile.timeDeltas[i] ?? 0) / 1000;
  const idle = (i: number) => byId.get(profile.samples[i]!)!.callFrame.functionName === '(idle)';

  const frames = new Map<string, FrameShare>();
  const chains = new Map<string, FrameShare>();
  const longest: BlockReport['longest'] = [];
  let busy = 0;
  let blocks = 0;
  let blockMs = 0;
  const addShare = (into: Map<string, FrameShare>, frame: string, ms: number, seen: Set<string>) => {
    const share = into.get(frame) ?? { frame, ms: 0, blocks: 0 };
    share.ms += ms;
    if (!seen.has(frame)) {
      seen.add(frame);
      share.blocks += 1;
    }
    into.set(frame, share);
  };

  let i = 0;
  while (i < profile.samples.length) {
    if (idle(i)) {
      i++;
      continue;
    }
    const start = i;
    let ms = 0;
    while (i < profile.samples.length && !idle(i)) ms += duration(i++);
    busy += ms;
    if (ms < minMs) continue;
    blocks++;
    blockMs += ms;
    const local = new Map<string, number>();
    const seenFrames = new Set<string>();
    const seenChains = new Set<string>();
    for (let s = start; s < i; s++) {
      const [frame, chain] = attribute(profile.samples[s]!);
      const d = duration(s);
      addShare(frames, frame, d, seenFrames);
      addShare(chains, chain, d, seenChains);
      local.set(frame, (local.get(frame) ?? 0) + d);
    }
    const top = [...local].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([f, d]) => `${f} (${Math.round(d)} ms)`);
    longest.push({ at_s: Math.round((times[start]! - (profile.timeDeltas[start] ?? 0) - profile.startTime) / 1e3) / 1e3, ms: round(ms), top });
  }

  const ranked = (m: Map<string, FrameShare>) => [...m.values()].sort((a, b) => b.ms - a.ms).slice(0, 25).map((s) => ({ ...s, ms: round(s.ms) }));
  return {
    profiled_s: round((profile.endTime - profile.startTime) / 1e6),
    busy_ms: round(busy),
    blocks,
    block_ms: round(blockMs),
    min_block_ms: minMs,
    by_frame: ranked(frames),
    by_chain: ranked(chains),
    longest: longest.sort((a, b) => b.ms - a.ms).slice(0, options.longest ?? 20),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
