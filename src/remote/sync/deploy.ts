// Deploy: make `remoteDir` on a node hold exactly the source folder's files (minus exclusions).
// One exec scans the node (manifest + stat of every tracked file), the delta is worked out by
// content hash, and only changed files travel, as ONE tar stream into a second exec that
// stages, deletes, renames into place and writes the new manifest. No change = one round trip.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, promises as fsp, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { constants as zc, createGzip, deflateRawSync, type Gzip, type ZlibParams } from 'node:zlib';
import { ClusterLabError, describeError } from '../../core/errors';
import {
  DEPLOY_STATE_DIR,
  emptyManifest,
  parseManifest,
  parseScanOutput,
  planSync,
  serializeManifest,
  serializePaths0,
  manifestDelta,
  matchesEntry,
  parseRecords,
  serializeDelta,
  useJournal,
  type ScanRecord,
  verifyManifest,
  type LocalFile,
  type Manifest,
  type ManifestEntry,
  type SyncPlan,
} from '../../core/sync/manifest';
import type { ExecResult, NodeConnection } from '../connection';
import { applyCommand, scanCommand, SCAN_END, SPEC_REFUSED, syncCommand } from './scripts';
import { cachedHashes, hashFile, saveHashes, walkSource, type WalkedFile } from './local-tree';
import { headerSize, padding, trailer, writeFileHeader } from './tar-writer';

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
  /** sha256 '' = not known yet: hashed only when it decides something, else while it is sent. */
  files: LocalFile[];
  abs: Map<string, string>;
  skipped: Array<{ path: string; why: string }>;
  /** Files actually read to hash them (the rest came from the cache or were hashed as they were sent). */
  hashed: number;
  walked: Map<string, WalkedFile>;
  /** Hashes learned since the cache was read (saved after the deploy). */
  learned: number;
}

export interface DeployOptions {
  sourceDir: string;
  remoteDir: string;
  exclude?: readonly string[];
  onProgress?: (p: DeployProgress) => void;
  signal?: AbortSignal;
  dryRun?: boolean;
  /** Reuse a walk + hash of the source (deployAll does this for all nodes; a promise lets the walk run while the node is reached). */
  prepared?: PreparedSource | Promise<PreparedSource>;
  /** gzip the stream when the node has gzip (default true); false sends a plain tar. */
  compress?: boolean;
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
  const { files, unknown, cacheSize } = await cachedHashes(sourceDir, walked.files);
  onHash?.(walked.files.length - unknown.length, walked.files.length);
  return {
    sourceDir,
    files,
    abs: new Map(walked.files.map((w: WalkedFile) => [w.path, w.abs])),
    skipped: walked.skipped,
    hashed: 0,
    walked: new Map(walked.files.map((w) => [w.path, w])),
    // A cache holding files that are gone is rewritten too.
    learned: cacheSize !== walked.files.length - unknown.length ? 1 : 0,
  };
}

/** Hash the given files now (those whose hash decides whether they travel). */
async function hashNow(prepared: PreparedSource, files: readonly LocalFile[], onFile?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++] as LocalFile;
      if (f.sha256 === '') {
        f.sha256 = await hashFile(prepared.abs.get(f.path) as string, f.size);
        prepared.hashed++;
        prepared.learned++;
      }
      onFile?.(++done);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** A speculative tar (sent before the scan answers) is only worth it when a refusal costs little. */
const SPEC_MAX_BYTES = 4 * 1024 * 1024;

export async function deploy(conn: NodeConnection, opts: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const node = conn.node;
  const progress = (phase: DeployPhase, filesDone: number, filesTotal: number, bytesDone: number, bytesTotal: number) =>
    opts.onProgress?.({ node, phase, filesDone, filesTotal, bytesDone, bytesTotal });

  progress('scan', 0, 0, 0, 0);
  const remoteDir = await conn.resolvePath(opts.remoteDir);
  // What we kept from our last deploy here: a tiny state file (generation + listing sha256)
  // lets the sync start at once; the manifest copy is read while the node works.
  const cache = cachePaths(opts.sourceDir, node, remoteDir);
  const state = await readState(cache.state);
  const cachedP = state ? readManifestCache(cache.manifest) : Promise.resolve(null);
  // One exec scans the node and then applies whatever we send on its stdin (see SYNC): the
  // source is walked while the node scans, and when our manifest copy already tells what
  // changed, the tar goes out before the scan has even answered.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const stdin = new PassThrough({ highWaterMark: 1 << 20 });
  const nonce = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const session = startSync(conn, syncCommand(remoteDir, nonce, state?.generation ?? '', state?.sum ?? ''), stdin, stop.signal, remoteDir);
  try {
    return await deployOn(conn, opts, { t0, remoteDir, cache, state, cachedP, stdin, session, stop: stop.signal, progress });
  } catch (e) {
    // Nothing may keep the node waiting on a stdin we no longer feed.
    stop.abort();
    stdin.destroy();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

interface SyncSession {
  /** The scan part of the output (up to SCAN_END); rejects when the exec ends without it. */
  scanned: Promise<Buffer>;
  /** Whether `scanned` has settled. */
  arrived: () => boolean;
  done: Promise<ExecResult>;
  /** Where the apply part of the output starts (after SCAN_END). */
  applyAt: () => number;
}

function startSync(conn: NodeConnection, command: string, stdin: PassThrough, signal: AbortSignal, remoteDir: string): SyncSession {
  const marker = Buffer.from(SCAN_END);
  let buf: Buffer = Buffer.alloc(0);
  let endAt = -1;
  let arrived = false;
  let resolveScan: (b: Buffer) => void = () => undefined;
  let rejectScan: (e: unknown) => void = () => undefined;
  const scanned = new Promise<Buffer>((res, rej) => {
    resolveScan = (b) => {
      arrived = true;
      res(b);
    };
    rejectScan = (e) => {
      arrived = true;
      rej(e);
    };
  });
  const onStdout = (c: Buffer) => {
    if (endAt >= 0) return;
    const from = Math.max(0, buf.length - marker.length + 1);
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    const i = buf.indexOf(marker, from);
    if (i >= 0) {
      endAt = i;
      resolveScan(buf.subarray(0, i));
    }
  };
  const done = conn.exec(command, { stdin, onStdout, signal });
  done.then(
    (r) => rejectScan(nodeFailure(conn.node, remoteDir, 'scan', r.code, r.stderr.toString())),
    (e: unknown) => rejectScan(e),
  );
  scanned.catch(() => undefined);
  done.catch(() => undefined);
  return { scanned, arrived: () => arrived, done, applyAt: () => endAt + marker.length };
}

interface DeployContext {
  t0: number;
  remoteDir: string;
  cache: CachePaths;
  state: State | null;
  cachedP: Promise<Manifest | null>;
  stdin: PassThrough;
  session: SyncSession;
  stop: AbortSignal;
  progress: (phase: DeployPhase, filesDone: number, filesTotal: number, bytesDone: number, bytesTotal: number) => void;
}

function newGeneration(): string {
  return `${new Date().toISOString()}-${randomBytes(4).toString('hex')}`;
}

function isNothingToDo(plan: SyncPlan, previous: Manifest, prepared: PreparedSource, noDir: boolean): boolean {
  return plan.send.length === 0 && plan.remove.length === 0 && !noDir && previous.generation !== '' && Object.keys(previous.files).length === prepared.files.length;
}

async function deployOn(conn: NodeConnection, opts: DeployOptions, ctx: DeployContext): Promise<DeployResult> {
  const { remoteDir, cache, state, stdin, session, progress } = ctx;
  const node = conn.node;
  const prepared = await (opts.prepared ?? prepareSource(opts.sourceDir, opts.exclude ?? []));
  let cached = await ctx.cachedP;

  // Speculation: the scan has not answered yet, and we hold the node's manifest as we left it.
  // Work out the plan as if every file were as we left it, and send it now (or NONE). The node
  // applies it only if its scan confirms exactly that; otherwise nothing there changes.
  let spec: { plan: SyncPlan; previous: Manifest; apply: ApplyRun | null } | null = null;
  if (!session.arrived() && !opts.dryRun && state?.sum && cached && cached.generation === state.generation) {
    const previous = cached;
    const verified = new Map(Object.entries(previous.files));
    await hashDeciding(prepared, verified, progress);
    const plan = planSync(prepared.files, previous, verified, newGeneration());
    if (isNothingToDo(plan, previous, prepared, false)) {
      stdin.end('NONE\n');
      spec = { plan, previous, apply: null };
    } else if (plan.bytesToSend <= SPEC_MAX_BYTES) {
      stdin.write(`SPEC ${state.gzip ? 'gzip' : 'plain'}\n`);
      spec = { plan, previous, apply: startApply(plan, previous, prepared, state.gzip, stdin, cache, opts.signal, progress) };
    }
  }

  let parsed = parseScanOutput(await session.scanned);
  if (spec && parsed.allAsLeft && parsed.sameGeneration) {
    // The node is exactly as we left it: the speculation holds.
    if (!spec.apply) {
      await Promise.all([saveLearned(prepared), session.done]);
      progress('done', 0, 0, 0, 0);
      return makeResult(ctx, opts, node, spec.plan, prepared, 0, 0);
    }
    const out = await finishApply(spec.apply, session.done.then((r) => ({ r, out: r.stdout.subarray(session.applyAt()) })), node, remoteDir, true);
    return await saveAfterApply(ctx, opts, node, spec.apply, out, prepared, readListing(cache.listing, spec.previous.generation), parsed.caps.includes('gzip'));
  }
  // Whether the apply can still go into the running sync exec (no header sent yet).
  let sameExec = spec === null;
  if (spec) {
    // Refused (the node changed since we left it): the node read and dropped it; plan again.
    const r = await session.done;
    if (spec.apply) {
      await spec.apply.feeding.catch(() => undefined);
      await spec.apply.dropTmp();
    }
    if (r.code !== 0) throw nodeFailure(node, remoteDir, 'scan', r.code, r.stderr.toString());
  }
  if (parsed.sameGeneration && cached?.generation !== state?.generation) {
    // Our manifest copy does not match our state file (damaged cache): ask for the manifest.
    if (sameExec) stdin.end('NONE\n');
    sameExec = false;
    cached = null;
    const scan = await conn.exec(scanCommand(remoteDir), { timeoutMs: 120_000, signal: ctx.stop });
    if (scan.code !== 0) throw nodeFailure(node, remoteDir, 'scan', scan.code, scan.stderr.toString());
    parsed = parseScanOutput(scan.stdout);
  }
  const previous = parsed.noDir ? emptyManifest() : parsed.sameGeneration && cached ? cached : parseManifest(parsed.manifestText);
  const verified = verifyManifest(previous, parsed.records, parsed.allAsLeft);
  await hashDeciding(prepared, verified, progress);
  const plan = planSync(prepared.files, previous, verified, newGeneration());

  const nothingToDo = isNothingToDo(plan, previous, prepared, parsed.noDir);
  if (opts.dryRun || nothingToDo) {
    if (sameExec) stdin.end('NONE\n');
    if (nothingToDo && !parsed.allAsLeft) {
      // Every file verified: keep this listing so that the next scan answers in a few bytes.
      const listing = new Map(parsed.records.map((r) => [r.path, r.raw ?? '']));
      await saveCache(cache, previous, listing, previous.generation !== state?.generation || !cached, parsed.caps.includes('gzip'));
    }
    await saveLearned(prepared);
    if (sameExec) await session.done;
    progress('done', 0, plan.send.length, 0, plan.bytesToSend);
    return makeResult(ctx, opts, node, plan, prepared, 0, 0);
  }

  // gzip -1 when the node can undo it: source text shrinks several times, and files that do
  // not compress are stored (level 0) rather than squeezed in vain.
  const gzip = opts.compress !== false && parsed.caps.includes('gzip');
  // The listing of unchanged files as this scan saw them, or as we kept it (scan said SAME).
  const beforeP = parsed.allAsLeft ? readListing(cache.listing, previous.generation) : Promise.resolve(new Map(parsed.records.map((r) => [r.path, r.raw ?? ''])));
  let target = stdin;
  let outP: Promise<{ r: ExecResult; out: Buffer }>;
  if (sameExec) {
    stdin.write(`PLAN ${gzip ? 'gzip' : 'plain'}\n`);
    outP = session.done.then((r) => ({ r, out: r.stdout.subarray(session.applyAt()) }));
  } else {
    target = new PassThrough({ highWaterMark: 1 << 20 });
    outP = conn.exec(applyCommand(remoteDir, `${process.pid}.${randomBytes(6).toString('hex')}`, gzip), { stdin: target, signal: ctx.stop }).then((r) => ({ r, out: r.stdout }));
  }
  outP.catch(() => undefined);
  const run = startApply(plan, previous, prepared, gzip, target, cache, opts.signal, progress);
  const out = await finishApply(run, outP, node, remoteDir, false);
  return await saveAfterApply(ctx, opts, node, run, out, prepared, beforeP, gzip || parsed.caps.includes('gzip'));
}

/** Hash the files whose hash decides whether they travel (same size as the verified entry). */
async function hashDeciding(prepared: PreparedSource, verified: ReadonlyMap<string, ManifestEntry>, progress: DeployContext['progress']): Promise<void> {
  const decide = prepared.files.filter((f) => f.sha256 === '' && verified.get(f.path)?.size === f.size);
  if (decide.length === 0) return;
  progress('hash', 0, decide.length, 0, 0);
  await hashNow(prepared, decide, (d) => progress('hash', d, decide.length, 0, 0));
}

function makeResult(ctx: DeployContext, opts: DeployOptions, node: string, plan: SyncPlan, prepared: PreparedSource, filesSent: number, bytesSent: number): DeployResult {
  return {
    node,
    remoteDir: ctx.remoteDir,
    dryRun: Boolean(opts.dryRun),
    filesSent,
    bytesSent,
    filesRemoved: plan.remove.length,
    unchanged: plan.unchanged,
    driftedOnNode: plan.driftedOnNode,
    sent: plan.send.map((f) => f.path),
    removed: plan.remove,
    skipped: prepared.skipped,
    durationMs: Date.now() - ctx.t0,
  };
}

interface ApplyRun {
  plan: SyncPlan;
  sink: Writable;
  feeding: Promise<void>;
  learnedP: Promise<void>;
  manifestTmp: Promise<string | null>;
  dropTmp: () => Promise<void>;
  counters: { files: number; bytes: number };
}

/** Start feeding the plan's tar into `stdin` (through gzip when asked). */
function startApply(plan: SyncPlan, previous: Manifest, prepared: PreparedSource, gzip: boolean, stdin: PassThrough, cache: CachePaths, signal: AbortSignal | undefined, progress: DeployContext['progress']): ApplyRun {
  const counters = { files: 0, bytes: 0 };
  progress('transfer', 0, plan.send.length, 0, plan.bytesToSend);
  const sink: Writable = gzip ? createGzip({ level: 1, chunkSize: 256 * 1024 }) : stdin;
  if (gzip) sink.pipe(stdin);
  const feeding = feedTar(sink, gzip, plan, previous, prepared, signal, (bytes, fileDone) => {
    counters.bytes += bytes;
    if (fileDone) counters.files++;
    progress('transfer', counters.files, plan.send.length, counters.bytes, plan.bytesToSend);
  });
  feeding.catch(() => {
    // A feed that failed (a file changed or vanished while it was sent) must not leave the node
    // waiting for the rest: end its input, so the cut-off archive fails there and nothing is
    // applied; finishApply then reports the feed's error.
    if (gzip) (sink as Gzip).unpipe(stdin);
    stdin.end();
  });
  // While the node unpacks: save the hashes learned, and stage our copy of the new manifest
  // (renamed into place only once the node confirms).
  const learnedP = feeding.then(() => saveLearned(prepared)).catch(() => undefined);
  const manifestTmp = feeding.then(() => writeTemp(cache.manifest, serializeManifest(plan.next))).catch(() => null);
  const dropTmp = async () => {
    const t = await manifestTmp;
    if (t) await fsp.rm(t, { force: true });
  };
  return { plan, sink, feeding, learnedP, manifestTmp, dropTmp, counters };
}

/** Wait for the node's answer to an apply; the records of the files placed, or an error. */
async function finishApply(run: ApplyRun, outP: Promise<{ r: ExecResult; out: Buffer }>, node: string, remoteDir: string, speculative: boolean): Promise<string> {
  let got;
  try {
    got = await outP;
  } catch (e) {
    run.sink.destroy();
    await run.dropTmp();
    throw e;
  } finally {
    // The node stopped reading (done or failed): nothing may wait on a drain that never comes.
    if (!run.sink.writableFinished) run.sink.destroy();
  }
  const feedError = await run.feeding.then(
    () => null,
    (e: unknown) => e,
  );
  const { r: applied } = got;
  const out = got.out.toString('utf8');
  const ok = applied.code === 0 && out.endsWith('CLUSTERLAB_OK\n') && !(speculative && out.startsWith(SPEC_REFUSED));
  if (!ok || feedError) await run.dropTmp();
  if (!ok) {
    if (feedError instanceof ClusterLabError) throw feedError;
    throw nodeFailure(node, remoteDir, 'apply', applied.code, applied.stderr.toString());
  }
  if (feedError) throw feedError;
  return out.slice(0, -'CLUSTERLAB_OK\n'.length);
}

async function saveAfterApply(ctx: DeployContext, opts: DeployOptions, node: string, run: ApplyRun, placedText: string, prepared: PreparedSource, beforeP: Promise<Map<string, string> | null>, gzip: boolean): Promise<DeployResult> {
  const { plan } = run;
  // The listing the next scan should find: records of the files just placed, and of the
  // unchanged ones as this scan saw them (or as we kept them when it answered SAME).
  const placed = parseRecords(placedText);
  let listing: Map<string, string> | null = null;
  const before = await beforeP;
  if (before) {
    listing = new Map();
    const placedBy = new Map(placed.map((r) => [r.path, r]));
    for (const [p, e] of Object.entries(plan.next.files)) {
      const fresh = placedBy.get(p);
      const rec = fresh ? (matchesEntry(fresh, e) ? fresh.raw : undefined) : before.get(p);
      if (rec === undefined) {
        listing = null; // unknown or not as we meant to leave it: the next scan sends the listing
        break;
      }
      listing.set(p, rec);
    }
  }
  await saveCache(ctx.cache, plan.next, listing, (await run.manifestTmp) ?? true, gzip);
  await run.learnedP;
  ctx.progress('done', run.counters.files, plan.send.length, run.counters.bytes, plan.bytesToSend);
  return makeResult(ctx, opts, node, plan, prepared, plan.send.length, plan.bytesToSend);
}

async function saveLearned(prepared: PreparedSource): Promise<void> {
  if (prepared.learned === 0) return;
  prepared.learned = 0;
  await saveHashes(prepared.sourceDir, prepared.files, prepared.walked);
}

interface CachePaths {
  /** `GENERATION\nSHA256\n`: what the scan is told we know. */
  state: string;
  /** Our copy of the node's manifest (journal folded in). */
  manifest: string;
  /** `GENERATION\n` then the node's listing records, NUL-terminated. */
  listing: string;
}

/** Our copies of what we last left on (node, folder), so an unchanged node need not send them. */
function cachePaths(sourceDir: string, node: string, remoteDir: string): CachePaths {
  const key = createHash('sha256').update(`${node}\0${remoteDir}`).digest('hex').slice(0, 16);
  const base = join(sourceDir, '.clusterlab', 'cache', `deploy-manifest-${key}`);
  return { state: `${base}.state`, manifest: `${base}.json`, listing: `${base}.listing` };
}

interface State {
  generation: string;
  sum: string;
  /** The node had gzip at the last deploy (a speculative tar is compressed only then). */
  gzip: boolean;
}

async function readState(path: string): Promise<State | null> {
  try {
    const [generation = '', sum = '', caps = ''] = (await fsp.readFile(path, 'utf8')).split('\n');
    return generation ? { generation, sum: /^[0-9a-f]{64}$/.test(sum) ? sum : '', gzip: caps === 'gzip' } : null;
  } catch {
    return null;
  }
}

async function readManifestCache(path: string): Promise<Manifest | null> {
  try {
    const m = parseManifest(await fsp.readFile(path, 'utf8'));
    return m.generation ? m : null;
  } catch {
    return null;
  }
}

async function readListing(path: string, generation: string): Promise<Map<string, string> | null> {
  try {
    const text = await fsp.readFile(path, 'utf8');
    const nl = text.indexOf('\n');
    if (nl < 0 || text.slice(0, nl) !== generation) return null;
    return new Map(parseRecords(text.slice(nl + 1)).map((r: ScanRecord) => [r.path, r.raw ?? '']));
  } catch {
    return null;
  }
}

/** sha256 of the listing as the node's `LC_ALL=C sort -z -u | sha256sum` sees it. */
export function listingSum(records: Iterable<string>): string {
  const bufs = [...new Set(records)].map((r) => Buffer.from(`${r}\0`, 'utf8'));
  bufs.sort(Buffer.compare);
  const h = createHash('sha256');
  for (const b of bufs) h.update(b);
  return h.digest('hex');
}

/** Write a temporary file next to `path` (renamed onto it later); null when that fails. */
async function writeTemp(path: string, data: string | Buffer): Promise<string | null> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fsp.mkdir(dirname(path), { recursive: true });
    await fsp.writeFile(tmp, data);
    return tmp;
  } catch {
    await fsp.rm(tmp, { force: true });
    return null;
  }
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = await writeTemp(path, data);
  if (!tmp) throw new Error(`cannot write ${path}`);
  await fsp.rename(tmp, path);
}

/**
 * Save what the node holds now. The state file goes last: until it is written, the next scan
 * is asked about the older generation and simply sends the manifest. A null listing leaves no
 * sum, so the next scan sends the listing and everything is verified again.
 */
async function saveCache(c: CachePaths, m: Manifest, listing: ReadonlyMap<string, string> | null, manifest: boolean | string, gzip: boolean): Promise<void> {
  try {
    // `manifest`: a temporary file already holding it, true to write it, false when unchanged.
    if (typeof manifest === 'string') await fsp.rename(manifest, c.manifest);
    else if (manifest) await writeAtomic(c.manifest, serializeManifest(m));
    let sum = '';
    if (listing) {
      await writeAtomic(c.listing, `${m.generation}\n${[...listing.values()].map((r) => `${r}\0`).join('')}`);
      sum = listingSum(listing.values());
    }
    await writeAtomic(c.state, `${m.generation}\n${sum}\n${gzip ? 'gzip' : ''}\n`);
  } catch {
    // Read-only source: the node sends its manifest and listing each time instead.
  }
}

function nul(list: readonly string[]): Buffer {
  return Buffer.from(list.map((p) => `./${p}\0`).join(''), 'utf8');
}

/** Files up to this size are read whole into the current chunk; bigger ones are streamed. */
const SMALL = 256 * 1024;
const CHUNK = 1 << 20;

/** The tar stream of a plan: files/<path> for every file sent, then meta/* (manifest last known). */
async function feedTar(sink: Writable, gzip: boolean, plan: SyncPlan, previous: Manifest, prepared: PreparedSource, signal: AbortSignal | undefined, onBytes: (n: number, fileDone: boolean) => void): Promise<void> {
  let failed: Error | null = null;
  const onFail = (e?: Error) => (failed ??= e ?? new Error('deploy interrupted'));
  sink.on('error', onFail);
  sink.on('close', () => onFail());
  const write = async (b: Buffer): Promise<void> => {
    if (failed) throw failed;
    if (sink.write(b)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        sink.off('drain', done);
        sink.off('close', done);
        resolve();
      };
      sink.on('drain', done);
      sink.on('close', done);
    });
    if (failed) throw failed;
  };
  let level = 1;
  const setLevel = async (want: number): Promise<void> => {
    if (!gzip || want === level) return;
    level = want;
    await new Promise<void>((resolve) => (sink as Gzip & ZlibParams).params(want, zc.Z_DEFAULT_STRATEGY, () => resolve()));
  };
  let chunk = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  let chunkFiles = 0;
  let chunkBytes = 0;
  const flush = async () => {
    if (used === 0) return;
    const out = chunk.subarray(0, used);
    chunk = Buffer.allocUnsafe(CHUNK);
    used = 0;
    await write(out);
    for (let i = 0; i < chunkFiles; i++) onBytes(i === 0 ? chunkBytes : 0, true);
    chunkFiles = 0;
    chunkBytes = 0;
  };
  const mtimeOf = (f: LocalFile) => Math.floor(f.mtimeMs / 1000);
  try {
    // Small files first (compressed), then big ones (stored when they do not compress).
    const small = plan.send.filter((f) => f.size <= SMALL);
    const big = plan.send.filter((f) => f.size > SMALL);
    for (const f of small) {
      if (signal?.aborted) throw new Error('deploy interrupted');
      const name = `files/${f.path}`;
      const need = headerSize(name, f.size) + f.size + padding(f.size);
      if (used + need > chunk.length) {
        await flush();
        if (need > chunk.length) chunk = Buffer.allocUnsafe(need);
      }
      const dataAt = writeFileHeader(chunk, used, name, f.size, f.mode & 0o7777, mtimeOf(f));
      const abs = prepared.abs.get(f.path) as string;
      readWhole(abs, chunk, dataAt, f.size);
      f.sha256 = learnHash(prepared, f, createHash('sha256').update(chunk.subarray(dataAt, dataAt + f.size)).digest('hex'));
      chunk.fill(0, dataAt + f.size, dataAt + f.size + padding(f.size));
      used = dataAt + f.size + padding(f.size);
      chunkFiles++;
      chunkBytes += f.size;
    }
    await flush();
    for (const f of big) {
      if (signal?.aborted) throw new Error('deploy interrupted');
      f.sha256 = learnHash(prepared, f, await streamFile(f, prepared.abs.get(f.path) as string, write, setLevel, gzip, signal, onBytes, mtimeOf(f)));
    }
    await setLevel(1);
    // Hashes are all known now: the manifest goes last.
    for (const f of plan.send) (plan.next.files[f.path] as { sha256: string }).sha256 = f.sha256;
    const now = Math.floor(Date.now() / 1000);
    // A small change appends to the node's manifest journal instead of rewriting it whole.
    const delta = manifestDelta(previous, plan.next);
    const journal = useJournal(previous, delta);
    plan.next.journalOps = journal ? (previous.journalOps ?? 0) + Object.keys(delta.set).length + delta.del.length : 0;
    const meta: Array<[string, Buffer]> = [
      ['meta/delete0', nul(plan.remove)],
      ['meta/rmdirs0', nul(plan.rmdirs)],
      ['meta/sent0', nul(plan.send.map((f) => f.path))],
      ...(journal
        ? ([
            ['meta/paths0.add', nul(Object.keys(delta.set).filter((p) => !(p in previous.files)))],
            ['meta/manifest.delta', Buffer.from(serializeDelta(delta))],
          ] as Array<[string, Buffer]>)
        : ([
            ['meta/paths0', serializePaths0(plan.next)],
            ['meta/manifest.json', Buffer.from(serializeManifest({ ...plan.next, journalOps: 0 }))],
          ] as Array<[string, Buffer]>)),
      ['meta/generation', Buffer.from(plan.next.generation)],
    ];
    for (const [name, data] of meta) {
      const head = Buffer.alloc(headerSize(name, data.length));
      writeFileHeader(head, 0, name, data.length, 0o644, now);
      await write(head);
      if (data.length) await write(data);
      if (padding(data.length)) await write(Buffer.alloc(padding(data.length)));
    }
    await write(trailer());
    sink.end();
  } catch (e) {
    sink.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
}

function learnHash(prepared: PreparedSource, f: LocalFile, sha: string): string {
  if (f.sha256 !== sha) prepared.learned++;
  return sha;
}

/** Read exactly `size` bytes of a file into buf at off (a file that grew or shrank is an error). */
function readWhole(abs: string, buf: Buffer, off: number, size: number): void {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (e) {
    throw changedWhileDeploying(abs, e);
  }
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, off + got, size - got, got);
      if (n === 0) throw changedWhileDeploying(abs);
      got += n;
    }
    if (readSync(fd, Buffer.alloc(1), 0, 1, size) !== 0) throw changedWhileDeploying(abs);
  } catch (e) {
    throw e instanceof ClusterLabError ? e : changedWhileDeploying(abs, e);
  } finally {
    closeSync(fd);
  }
}

/** One big file: header, then 1 MB reads; hashed on the way. Returns its sha256. */
async function streamFile(
  f: LocalFile,
  abs: string,
  write: (b: Buffer) => Promise<void>,
  setLevel: (l: number) => Promise<void>,
  gzip: boolean,
  signal: AbortSignal | undefined,
  onBytes: (n: number, fileDone: boolean) => void,
  mtime: number,
): Promise<string> {
  const fh = await fsp.open(abs, 'r').catch((e: unknown) => {
    throw changedWhileDeploying(abs, e);
  });
  try {
    const hash = createHash('sha256');
    const name = `files/${f.path}`;
    const head = Buffer.alloc(headerSize(name, f.size));
    writeFileHeader(head, 0, name, f.size, f.mode & 0o7777, mtime);
    let left = f.size;
    let first = true;
    while (left > 0) {
      if (signal?.aborted) throw new Error('deploy interrupted');
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      const { bytesRead } = await fh.read(buf, 0, buf.length, f.size - left);
      if (bytesRead === 0) throw changedWhileDeploying(abs);
      const data = buf.subarray(0, bytesRead);
      if (first) {
        first = false;
        if (gzip) await setLevel(compresses(data) ? 1 : 0);
        await write(head);
      }
      hash.update(data);
      left -= bytesRead;
      await write(data);
      onBytes(bytesRead, false);
    }
    if ((await fh.read(Buffer.alloc(1), 0, 1, f.size)).bytesRead !== 0) throw changedWhileDeploying(abs);
    if (padding(f.size)) await write(Buffer.alloc(padding(f.size)));
    onBytes(0, true);
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

/** Whether deflate saves at least 10% on a sample (random data, archives and media do not). */
function compresses(data: Buffer): boolean {
  const sample = data.subarray(0, 64 * 1024);
  return deflateRawSync(sample, { level: 1 }).length < sample.length * 0.9;
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
