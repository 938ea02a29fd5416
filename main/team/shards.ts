/**
 * A team job's source is split into shards, each one job on the queue. A shard kind names how its items
 * are listed; an item is one file to decode and embed (a source that fetches over the network, such as a
 * DICOMweb series, writes each instance to a cache file and yields it). Add a kind by adding a
 * ShardSource to SHARD_SOURCES: the worker and the queue do not change.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ScannedFile } from '../ingest/scanner';
import { scanFolder } from '../ingest/scanner';

/** What the queue carries: JSON, small (a folder shard lists its files). */
export interface ShardSpec {
  kind: string;
  [key: string]: unknown;
}

export interface ShardItem {
  file: ScannedFile;
  /** Where the image came from, kept with its team record (a path, or an archive URL without credentials). */
  source: string;
}

export interface ShardSource {
  kind: string;
  /** The items of one shard. */
  items(spec: ShardSpec, signal?: AbortSignal): AsyncIterable<ShardItem>;
}

/** Splits a source into shard specs (the team job's plan). */
export interface SourceSplitter {
  /** True when this splitter understands the source (a folder path, a dicomweb+http URL...). */
  accepts(source: string): boolean;
  split(source: string, shardSize: number, signal?: AbortSignal): Promise<ShardSpec[]>;
}

export interface FolderShardSpec extends ShardSpec {
  kind: 'folder-files';
  root: string;
  /** Paths relative to root. */
  files: string[];
}

export const folderShards: ShardSource & SourceSplitter = {
  kind: 'folder-files',
  accepts(source) {
    return !/^[a-z+]+:\/\//i.test(source);
  },
  async split(source, shardSize, signal) {
    const root = path.resolve(source);
    const files: string[] = [];
    for await (const file of scanFolder(root, { signal })) files.push(path.relative(root, file.path));
    files.sort();
    const shards: FolderShardSpec[] = [];
    for (let i = 0; i < files.length; i += shardSize) shards.push({ kind: 'folder-files', root, files: files.slice(i, i + shardSize) });
    return shards;
  },
  async *items(spec) {
    const s = spec as FolderShardSpec;
    for (const rel of s.files) {
      const full = path.join(s.root, rel);
      let stat;
      try {
        stat = await fs.stat(full);
      } catch {
        continue; // gone since the job was planned: nothing to record
      }
      yield { file: { path: full, size: stat.size, mtimeMs: stat.mtimeMs }, source: full };
    }
  },
};

export const SHARD_SOURCES: Record<string, ShardSource> = { [folderShards.kind]: folderShards };
export const SOURCE_SPLITTERS: SourceSplitter[] = [folderShards];
