// Deploy: make `remoteDir` on a node hold exactly the source folder's files (minus exclusions).
// One exec scans the node (manifest + stat of every tracked file), the delta is worked out by
// content hash, and only changed files travel, as ONE tar stream into a second exec that
// stages, deletes, renames into place and writes the new manifest. No change = one round trip.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pack as tarPack, type Pack } from 'tar-stream';
import { ClusterLabError, describeError } from '../../core/errors';
import {
  DEPLOY_STATE_DIR,
  emptyManifest,
  parseManifest,
  parseScanOutput,
  planSync,
  serializeManifest,
  serializePaths0,
  verifyManifest,
  type LocalFile,
  type Manifest,
  type SyncPlan,
} from '../../core/sync/manifest';
import type { NodeConnection } from '../connection';
import { applyCommand, scanCommand } from './scripts';
import { hashSource, walkSource, type WalkedFile } from './local-tree';

export type DeployPhase = 'scan' | 'hash' | 'transfer' | 'done';

export interface DeployProgress {
  node: string;
  phase: DeployPhase;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/** The source folder walked and hashed once, shared by every node of a deploy. */
export interface PreparedSource {
  sourceDir: string;
  files: LocalFile[];
  abs: Map<string, string>;
  skipped: Array<{ path: string; why: string }>;
  /** Files actually read to hash them (the rest came from the cache). */
  hashed: number;
}

export interface DeployOptions {
  sourceDir: string;
  remoteDir: string;
  exclude?: readonly string[];
  onProgress?: (p: DeployProgress) => void;
  signal?: AbortSignal;
  dryRun?: boolean;
  /** Reuse a walk + hash of the source (deployAll does this for all nodes). */
  prepared?: PreparedSource;
}

export interface DeployResult {
  node: string;
  /** Absolute folder on the node. */
  remoteDir: string;
  dryRun: boolean;
  filesSent: number;
  bytesSent: number;
  filesRemoved: number;
  unchanged: number;
  /** Files changed or deleted on the node since the last deploy (restored if still local). */
  driftedOnNode: string[];
  /** Paths sent / removed (for --dry-run and --json). */
  sent: string[];
  removed: string[];
  skipped: Array<{ path: string; why: string }>;
  durationMs: number;
}

export async function prepareSource(sourceDir: string, exclude: readonly string[] = [], onHash?: (done: number, total: number) => void): Promise<PreparedSource> {
  let st;
  try {
    st = await fsp.stat(sourceDir);
  } catch {
    throw new ClusterLabError('deploy.source_missing', `deploy source folder ${sourceDir} does not exist`, 'Fix deploy.source in the cluster file (it is relative to the cluster file\'s folder)');
  }
  if (!st.isDirectory()) throw new ClusterLabError('deploy.source_not_dir', `deploy source ${sourceDir} is not a folder`, 'Point deploy.source at a folder');
  const walked = await walkSource(sourceDir, exclude);
  const { files, hashed } = await hashSource(sourceDir, walked.files, onHash ? (d) => onHash(d, walked.files.length) : undefined);
  return { sourceDir, files, abs: new Map(walked.files.map((w: WalkedFile) => [w.path, w.abs])), skipped: walked.skipped, hashed };
}

export async function deploy(conn: NodeConnection, opts: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const node = conn.node;
  const progress = (phase: DeployPhase, filesDone: number, filesTotal: number, bytesDone: number, bytesTotal: number) =>
    opts.onProgress?.({ node, phase, filesDone, filesTotal, bytesDone, bytesTotal });

  progress('scan', 0, 0, 0, 0);
  const remoteDir = await conn.resolvePath(opts.remoteDir);
  // The scan runs while the source is walked and hashed.
  const cachePath = manifestCachePath(opts.sourceDir, node, remoteDir);
  const cached = await readManifestCache(cachePath);
  const scanP = conn.exec(scanCommand(remoteDir, cached?.generation ?? ''), { timeoutMs: 120_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  scanP.catch(() => undefined);
  const prepared = opts.prepared ?? (await prepareSource(opts.sourceDir, opts.exclude ?? [], (d, t) => progress('hash', d, t, 0, 0)));
  const scan = await scanP;
  if (scan.code !== 0) throw nodeFailure(node, remoteDir, 'scan', scan.code, scan.stderr.toString());
  const parsed = parseScanOutput(scan.stdout);
  const previous = parsed.noDir ? emptyManifest() : parsed.sameGeneration && cached ? cached : parseManifest(parsed.manifestText);
  if (!parsed.noDir && !parsed.sameGeneration && previous.generation) await writeManifestCache(cachePath, previous);
  const verified = verifyManifest(previous, parsed.records, parsed.allAsLeft && (parsed.sameGeneration ? Boolean(cached) : true));
  const generation = `${new Date().toISOString()}-${randomBytes(4).toString('hex')}`;
  const plan = planSync(prepared.files, previous, verified, generation);

  const result = (filesSent: number, bytesSent: number): DeployResult => ({
    node,
    remoteDir,
    dryRun: Boolean(opts.dryRun),
    filesSent,
    bytesSent,
    filesRemoved: plan.remove.length,
    unchanged: plan.unchanged,
    driftedOnNode: plan.driftedOnNode,
    sent: plan.send.map((f) => f.path),
    removed: plan.remove,
    skipped: prepared.skipped,
    durationMs: Date.now() - t0,
  });

  const nothingToDo = plan.send.length === 0 && plan.remove.length === 0 && !parsed.noDir && previous.generation !== '' && Object.keys(previous.files).length === prepared.files.length;
  if (opts.dryRun || nothingToDo) {
    progress('done', 0, plan.send.length, 0, plan.bytesToSend);
    return result(0, 0);
  }

  let bytesDone = 0;
  let filesDone = 0;
  progress('transfer', 0, plan.send.length, 0, plan.bytesToSend);
  const tar = tarPack();
  const stdin = new PassThrough({ highWaterMark: 1 << 20 });
  tar.pipe(stdin);
  const feeding = feedTar(tar, plan, prepared, opts.signal, (bytes, fileDone) => {
    bytesDone += bytes;
    if (fileDone) filesDone++;
    progress('transfer', filesDone, plan.send.length, bytesDone, plan.bytesToSend);
  });
  feeding.catch(() => undefined);
  const nonce = `${process.pid}.${randomBytes(6).toString('hex')}`;
  let applied;
  try {
    applied = await conn.exec(applyCommand(remoteDir, nonce), { stdin, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (e) {
    tar.destroy();
    throw e;
  }
  const feedError = await feeding.then(
    () => null,
    (e: unknown) => e,
  );
  if (applied.code !== 0 || !applied.stdout.toString().includes('CLUSTERLAB_OK')) {
    if (feedError instanceof ClusterLabError) throw feedError;
    throw nodeFailure(node, remoteDir, 'apply', applied.code, applied.stderr.toString());
  }
  if (feedError) throw feedError;
  await writeManifestCache(cachePath, plan.next);
  progress('done', filesDone, plan.send.length, bytesDone, plan.bytesToSend);
  return result(plan.send.length, plan.bytesToSend);
}

/** Our copy of the manifest last written to (node, folder), so an unchanged node need not send it. */
function manifestCachePath(sourceDir: string, node: string, remoteDir: string): string {
  const key = createHash('sha256').update(`${node}\0${remoteDir}`).digest('hex').slice(0, 16);
  return join(sourceDir, '.clusterlab', 'cache', `deploy-manifest-${key}.json`);
}

async function readManifestCache(path: string): Promise<Manifest | null> {
  try {
    const m = parseManifest(await fsp.readFile(path, 'utf8'));
    return m.generation ? m : null;
  } catch {
    return null;
  }
}

async function writeManifestCache(path: string, m: Manifest): Promise<void> {
  try {
    await fsp.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, serializeManifest(m));
    await fsp.rename(tmp, path);
  } catch {
    // Read-only source: the node sends its manifest each time instead.
  }
}

function nul(list: readonly string[]): Buffer {
  return Buffer.from(list.map((p) => `./${p}\0`).join(''), 'utf8');
}

async function addEntry(tar: Pack, name: string, data: Buffer, mode: number, mtime: Date): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    tar.entry({ name, size: data.length, mode, mtime, type: 'file' }, data, (err) => (err ? reject(err) : resolve()));
  });
}

const SMALL = 1 << 20;
const READ_AHEAD = 16;

async function feedTar(tar: Pack, plan: SyncPlan, prepared: PreparedSource, signal: AbortSignal | undefined, onBytes: (n: number, fileDone: boolean) => void): Promise<void> {
  try {
    const now = new Date();
    await addEntry(tar, 'meta/delete0', nul(plan.remove), 0o600, now);
    await addEntry(tar, 'meta/rmdirs0', nul(plan.rmdirs), 0o600, now);
    await addEntry(tar, 'meta/manifest.json', Buffer.from(serializeManifest(plan.next)), 0o644, now);
    await addEntry(tar, 'meta/paths0', serializePaths0(plan.next), 0o644, now);
    await addEntry(tar, 'meta/generation', Buffer.from(plan.next.generation), 0o644, now);
    // Small files are read a few ahead; big ones are streamed in 1 MB chunks.
    const reads = new Map<number, Promise<Buffer>>();
    const startRead = (i: number) => {
      const f = plan.send[i];
      if (!f || f.size > SMALL || reads.has(i)) return;
      const p = fsp.readFile(prepared.abs.get(f.path) as string);
      p.catch(() => undefined);
      reads.set(i, p);
    };
    for (let i = 0; i < plan.send.length; i++) {
      if (signal?.aborted) throw new Error('deploy interrupted');
      for (let j = i; j < i + READ_AHEAD; j++) startRead(j);
      const f = plan.send[i] as LocalFile;
      const abs = prepared.abs.get(f.path) as string;
      const header = { name: `files/${f.path}`, size: f.size, mode: f.mode & 0o7777, mtime: new Date(Math.floor(f.mtimeMs / 1000) * 1000), type: 'file' as const };
      if (f.size <= SMALL) {
        const data = await (reads.get(i) as Promise<Buffer>).catch((e: unknown) => {
          throw changedWhileDeploying(abs, e);
        });
        reads.delete(i);
        if (data.length !== f.size) throw changedWhileDeploying(abs);
        await new Promise<void>((resolve, reject) => tar.entry(header, data, (err) => (err ? reject(err) : resolve())));
        onBytes(data.length, true);
      } else {
        await streamEntry(tar, header, abs, onBytes);
        onBytes(0, true);
      }
    }
    tar.finalize();
  } catch (e) {
    tar.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
}

async function streamEntry(tar: Pack, header: { name: string; size: number; mode: number; mtime: Date; type: 'file' }, abs: string, onBytes: (n: number, fileDone: boolean) => void): Promise<void> {
  const fh = await fsp.open(abs, 'r').catch((e: unknown) => {
    throw changedWhileDeploying(abs, e);
  });
  try {
    let entryErr: Error | null = null;
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    done.catch((e: Error) => (entryErr = e));
    const entry = tar.entry(header, (err) => (err ? settle?.reject(err) : settle?.resolve()));
    // A destroyed tar never calls back: settle on close too (resolve/reject only count once).
    entry.on('close', () => settle?.reject(new Error('deploy interrupted')));
    let left = header.size;
    const buf = Buffer.alloc(1 << 20);
    while (left > 0) {
      if (entryErr) throw entryErr;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left));
      if (bytesRead === 0) throw changedWhileDeploying(abs);
      left -= bytesRead;
      const ok = entry.write(Buffer.from(buf.subarray(0, bytesRead)));
      onBytes(bytesRead, false);
      if (!ok)
        await new Promise<void>((r) => {
          const done = () => {
            entry.off('drain', done);
            entry.off('close', done);
            r();
          };
          entry.on('drain', done);
          entry.on('close', done);
        });
      if (entry.destroyed) throw entryErr ?? new Error('deploy interrupted');
    }
    entry.end(Buffer.alloc(0));
    await done;
  } finally {
    await fh.close();
  }
}

function changedWhileDeploying(abs: string, e?: unknown): ClusterLabError {
  return new ClusterLabError('deploy.local_changed', `${abs} changed or vanished while it was being deployed${e ? ` (${describeError(e)})` : ''}`, 'Run the deploy again once the file is no longer being written');
}

/** Turn a failed scan/apply into: which node, what failed, what to do. */
export function nodeFailure(node: string, dir: string, step: 'scan' | 'apply', code: number | null, stderr: string): ClusterLabError {
  const where = { kind: 'node', node } as const;
  const detail = stderr
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('CLUSTERLAB_ERR'))
    .slice(-3)
    .join('; ')
    .slice(0, 400);
  const tail = detail ? ` (${detail})` : '';
  if (/CLUSTERLAB_ERR no_tar/.test(stderr) || (code === 127 && /tar/.test(stderr)))
    return new ClusterLabError('deploy.no_tar', `cannot deploy to ${dir}: tar is not installed on the node`, 'Install tar on the node (e.g. sudo apt install tar)', where);
  if (/No space left on device|Disk quota exceeded|Wrote only \d+ of \d+ bytes/i.test(stderr))
    return new ClusterLabError('deploy.disk_full', `the disk holding ${dir} is full${tail}`, `Free space in ${dir} (check with df -h ${dir}) and deploy again; files already in place are unchanged`, where);
  if (/Permission denied|Read-only file system|Operation not permitted/i.test(stderr))
    return new ClusterLabError('deploy.permission', `cannot write to ${dir}${tail}`, `Make ${dir} writable by the SSH user, or set remote_work_dir to a folder it owns`, where);
  if (/CLUSTERLAB_ERR place/.test(stderr))
    return new ClusterLabError('deploy.place', `could not move files into place under ${dir}${tail}`, `A folder on the node may stand where a file belongs (or the reverse); remove it from ${dir} and deploy again`, where);
  if (code === null)
    return new ClusterLabError('deploy.interrupted', `the ${step === 'scan' ? 'scan of' : 'transfer to'} ${dir} was cut off${tail}`, 'Check the connection and deploy again; files already in place are complete, never half-written', where);
  return new ClusterLabError('deploy.failed', `deploy ${step} in ${dir} failed with exit code ${code}${tail}`, 'Check the node (disk, permissions, a POSIX sh with find, xargs, mv and tar) and deploy again', where);
}

export { DEPLOY_STATE_DIR };
