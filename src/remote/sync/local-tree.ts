// The local side of a deploy: walk the source folder with the ignore rules, and hash every file,
// reusing hashes cached by (size, mtimeMs, ino) in `<source>/.clusterlab/cache/` so that files
// unchanged since the last deploy are not read again.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IGNORE_FILES, IgnoreRules } from '../../core/sync/ignore';
import type { LocalFile } from '../../core/sync/manifest';

export interface WalkedFile {
  path: string;
  abs: string;
  size: number;
  mode: number;
  mtimeMs: number;
  ino: number;
}

export interface WalkResult {
  files: WalkedFile[];
  /** Symlinks and other non-regular entries, left out (reported as warnings). */
  skipped: Array<{ path: string; why: string }>;
}

/**
 * Walk the source folder. Synchronous fs calls on purpose: for 10,000 files a tight
 * readdirSync/lstatSync loop is several times faster than one promise per file; it yields once
 * per folder.
 */
export async function walkSource(sourceDir: string, exclude: readonly string[]): Promise<WalkResult> {
  const files: WalkedFile[] = [];
  const skipped: WalkResult['skipped'] = [];
  // Yield to the event loop between folders, so that an SSH handshake or a scan answer running
  // alongside the walk is handled as its packets arrive instead of after the whole walk.
  const visit = async (dirRel: string, rules: IgnoreRules): Promise<void> => {
    await new Promise<void>((r) => setImmediate(r));
    const dirAbs = dirRel === '' ? sourceDir : join(sourceDir, dirRel);
    const entries = readdirSync(dirAbs, { withFileTypes: true });
    const texts: string[] = [];
    for (const name of IGNORE_FILES) {
      if (entries.some((e) => e.name === name && (e.isFile() || e.isSymbolicLink()))) {
        try {
          texts.push(readFileSync(join(dirAbs, name), 'utf8'));
        } catch {
          // unreadable ignore file: no rules from it
        }
      }
    }
    const here = rules.child(dirRel, texts);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of entries) {
      const rel = dirRel === '' ? e.name : `${dirRel}/${e.name}`;
      if (e.isDirectory()) {
        if (!here.ignores(rel, true)) subdirs.push(rel);
      } else if (e.isFile()) {
        if (here.ignores(rel, false)) continue;
        const abs = join(dirAbs, e.name);
        let st;
        try {
          st = lstatSync(abs);
        } catch {
          continue; // vanished meanwhile
        }
        files.push({ path: rel, abs, size: st.size, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, ino: st.ino });
      } else if (!here.ignores(rel, false)) {
        skipped.push({ path: rel, why: e.isSymbolicLink() ? 'symbolic link (not deployed; copy the target into the folder or exclude it)' : 'not a regular file' });
      }
    }
    for (const d of subdirs) await visit(d, here);
  };
  await visit('', IgnoreRules.root(exclude));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped };
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

const CACHE_FILE = '.clusterlab/cache/deploy-hashes.json';

async function readCache(sourceDir: string): Promise<Map<string, CacheEntry>> {
  try {
    const raw = JSON.parse(await fsp.readFile(join(sourceDir, CACHE_FILE), 'utf8')) as { version?: number; files?: Record<string, CacheEntry> };
    if (raw.version !== 1 || !raw.files) return new Map();
    return new Map(Object.entries(raw.files));
  } catch {
    return new Map();
  }
}

async function writeCache(sourceDir: string, files: readonly LocalFile[], meta: ReadonlyMap<string, WalkedFile>): Promise<void> {
  const out: Record<string, CacheEntry> = {};
  for (const f of files) {
    const w = meta.get(f.path);
    if (w) out[f.path] = { size: w.size, mtimeMs: w.mtimeMs, ino: w.ino, sha256: f.sha256 };
  }
  const p = join(sourceDir, CACHE_FILE);
  try {
    await fsp.mkdir(join(sourceDir, '.clusterlab/cache'), { recursive: true });
    const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify({ version: 1, files: out }));
    await fsp.rename(tmp, p);
  } catch {
    // A read-only source folder only costs re-hashing next time.
  }
}

export async function hashFile(abs: string, size: number): Promise<string> {
  if (size <= 1 << 20) return createHash('sha256').update(await fsp.readFile(abs)).digest('hex');
  const h = createHash('sha256');
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Hash every walked file (cached ones are not read). */
export async function hashSource(sourceDir: string, walked: readonly WalkedFile[], onFile?: (done: number) => void): Promise<{ files: LocalFile[]; hashed: number }> {
  const { files, unknown } = await cachedHashes(sourceDir, walked);
  let next = 0;
  let done = walked.length - unknown.length;
  const worker = async () => {
    while (next < unknown.length) {
      const i = unknown[next++] as number;
      const w = walked[i] as WalkedFile;
      (files[i] as LocalFile).sha256 = await hashFile(w.abs, w.size);
      onFile?.(++done);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (unknown.length > 0) await writeCache(sourceDir, files, new Map(walked.map((w) => [w.path, w])));
  return { files, hashed: unknown.length };
}

/**
 * Every walked file with its hash from the cache when (size, mtime, inode) still match, else
 * with sha256 '' (unknown): a deploy hashes only the files whose hash decides anything, and
 * learns the rest while it reads them to send them.
 */
export async function cachedHashes(sourceDir: string, walked: readonly WalkedFile[]): Promise<{ files: LocalFile[]; unknown: number[]; cacheSize: number }> {
  const cache = await readCache(sourceDir);
  const files: LocalFile[] = new Array(walked.length);
  const unknown: number[] = [];
  for (let i = 0; i < walked.length; i++) {
    const w = walked[i] as WalkedFile;
    const c = cache.get(w.path);
    const hit = c !== undefined && c.size === w.size && c.mtimeMs === w.mtimeMs && c.ino === w.ino;
    if (!hit) unknown.push(i);
    files[i] = { path: w.path, size: w.size, mode: w.mode, mtimeMs: w.mtimeMs, sha256: hit ? c.sha256 : '' };
  }
  return { files, unknown, cacheSize: cache.size };
}

/** Save the hashes known now (files with an unknown hash are left out). */
export async function saveHashes(sourceDir: string, files: readonly LocalFile[], walked: ReadonlyMap<string, WalkedFile>): Promise<void> {
  await writeCache(sourceDir, files.filter((f) => f.sha256 !== ''), walked);
}
