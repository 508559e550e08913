// The deploy manifest kept on each node, and the delta between the local tree and the node.
// Pure: the remote side reports what it sees (scan records), the local side what it has; this
// file decides what travels and what is deleted.
//
// On the node, `<remote_work_dir>/.clusterlab/deploy/` holds:
//   manifest.json     {"version":1,"generation":G,"files":{path:{sha256,size,mode,mtime}}}
//   manifest.journal  (optional) one line per small deploy since manifest.json was written:
//                     {"generation":G,"set":{path:entry},"del":[path]}; a small change appends a
//                     line instead of sending the whole manifest again
//   paths0            "./path\0./path\0…": the same paths, NUL-separated, so that a plain
//   paths0.add        shell (xargs -0) can stat exactly the tracked files in one round trip
//                     (paths0.add: paths added by journal lines)
// Every file we send carries an mtime of whole seconds (tar header), so after extraction its
// mtime on the node is exactly N.000000000. Any later write on the node sets a nanosecond mtime,
// which no longer matches: a changed file is noticed even within the same second and with the
// same size. Size, mode and type are checked as well.

export const MANIFEST_VERSION = 1;
export const DEPLOY_STATE_DIR = '.clusterlab/deploy';

export interface ManifestEntry {
  sha256: string;
  size: number;
  /** Permission bits (0o7777). */
  mode: number;
  /** Whole seconds since the epoch: the mtime the node received in the tar header. */
  mtime: number;
}

export interface Manifest {
  version: number;
  generation: string;
  files: Record<string, ManifestEntry>;
  /** Entries set or deleted by journal lines on top of manifest.json (0 or absent: none). */
  journalOps?: number;
}

export function emptyManifest(): Manifest {
  return { version: MANIFEST_VERSION, generation: '', files: {} };
}

/**
 * Parse manifest.json, optionally followed by a newline and journal lines; anything unreadable
 * counts as no manifest (everything is sent again). A bad journal line drops the manifest too.
 */
export function parseManifest(text: string): Manifest {
  if (text.trim() === '') return emptyManifest();
  const nl = text.indexOf('\n');
  const base = parseBase(nl < 0 ? text : text.slice(0, nl));
  if (nl < 0 || !base.generation) return base;
  let ops = 0;
  for (const line of text.slice(nl + 1).split('\n')) {
    if (line.trim() === '') continue;
    const d = parseJournalLine(line);
    if (!d) return emptyManifest();
    for (const [p, e] of Object.entries(d.set)) base.files[p] = e;
    for (const p of d.del) delete base.files[p];
    base.generation = d.generation;
    ops += Object.keys(d.set).length + d.del.length;
  }
  base.journalOps = (base.journalOps ?? 0) + ops;
  return base;
}

function entryOf(v: unknown): ManifestEntry | null {
  if (!v || typeof v !== 'object') return null;
  const e = v as Record<string, unknown>;
  if (typeof e.sha256 === 'string' && typeof e.size === 'number' && typeof e.mode === 'number' && typeof e.mtime === 'number') return { sha256: e.sha256, size: e.size, mode: e.mode, mtime: e.mtime };
  return null;
}

function parseBase(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return emptyManifest();
  }
  if (!raw || typeof raw !== 'object') return emptyManifest();
  const r = raw as { version?: unknown; generation?: unknown; files?: unknown; journalOps?: unknown };
  if (r.version !== MANIFEST_VERSION || typeof r.generation !== 'string' || !r.files || typeof r.files !== 'object') return emptyManifest();
  const files: Record<string, ManifestEntry> = {};
  for (const [path, v] of Object.entries(r.files as Record<string, unknown>)) {
    const e = entryOf(v);
    if (e && isSafeRelPath(path)) files[path] = e;
  }
  return { version: MANIFEST_VERSION, generation: r.generation, files, ...(typeof r.journalOps === 'number' && r.journalOps > 0 ? { journalOps: r.journalOps } : {}) };
}

export interface ManifestDelta {
  generation: string;
  set: Record<string, ManifestEntry>;
  del: string[];
}

function parseJournalLine(line: string): ManifestDelta | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as { generation?: unknown; set?: unknown; del?: unknown };
  if (typeof r.generation !== 'string' || !r.set || typeof r.set !== 'object' || !Array.isArray(r.del)) return null;
  const set: Record<string, ManifestEntry> = {};
  for (const [path, v] of Object.entries(r.set as Record<string, unknown>)) {
    const e = entryOf(v);
    if (!e || !isSafeRelPath(path)) return null;
    set[path] = e;
  }
  const del = (r.del as unknown[]).filter((p): p is string => typeof p === 'string');
  return { generation: r.generation, set, del };
}

/** What turns `prev` into `next`: entries added or changed, paths removed. */
export function manifestDelta(prev: Manifest, next: Manifest): ManifestDelta {
  const set: Record<string, ManifestEntry> = {};
  for (const [p, e] of Object.entries(next.files)) {
    const o = prev.files[p];
    if (!o || o.sha256 !== e.sha256 || o.size !== e.size || o.mode !== e.mode || o.mtime !== e.mtime) set[p] = e;
  }
  const del = Object.keys(prev.files).filter((p) => !(p in next.files));
  return { generation: next.generation, set, del };
}

/** One manifest.journal line (with its newline). */
export function serializeDelta(d: ManifestDelta): string {
  return `${JSON.stringify({ generation: d.generation, set: d.set, del: d.del })}\n`;
}

/**
 * Whether a deploy should append a journal line (true) or write manifest.json afresh: small
 * changes to a manifest whose journal is still short relative to it.
 */
export function useJournal(prev: Manifest, d: ManifestDelta): boolean {
  if (!prev.generation) return false;
  const ops = Object.keys(d.set).length + d.del.length;
  const total = (prev.journalOps ?? 0) + ops;
  return total <= Math.max(64, Object.keys(prev.files).length / 8);
}

/** manifest.json text (journal folded in; `journalOps` kept for our local copy). */
export function serializeManifest(m: Manifest): string {
  const files: Record<string, ManifestEntry> = {};
  for (const k of Object.keys(m.files).sort()) files[k] = m.files[k] as ManifestEntry;
  return JSON.stringify({ version: m.version, generation: m.generation, files, ...(m.journalOps ? { journalOps: m.journalOps } : {}) });
}

/** paths0 content: `./p1\0./p2\0…` (a path missing here is simply not verified, so sent again). */
export function serializePaths0(m: Manifest): Buffer {
  const parts = Object.keys(m.files).sort().map((p) => `./${p}`);
  return Buffer.from(parts.map((p) => p + '\0').join(''), 'utf8');
}

/** A relative POSIX path that cannot escape the target folder. */
export function isSafeRelPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0') || p.includes('\\')) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** One line of the node's scan: what is at a tracked path now. */
export interface ScanRecord {
  /** find %y: f (file), d (directory), l (symlink), … */
  type: string;
  size: number;
  /** find %T@ text, e.g. "1700000000.0000000000" */
  mtime: string;
  /** Permission bits. */
  mode: number;
  /** Path relative to the target folder, without the leading "./". */
  path: string;
  /** The record as the node printed it (without its NUL). */
  raw?: string;
}

export interface ScanOutput {
  /** manifest.json text ('' when none, or when `sameGeneration`). */
  manifestText: string;
  /** The node's manifest has the generation we hold a copy of (its text was not sent). */
  sameGeneration: boolean;
  /** Every tracked file is exactly as the last deploy left it (no records sent). */
  allAsLeft: boolean;
  records: ScanRecord[];
  noDir: boolean;
  /** What the node can do beyond POSIX sh + tar (e.g. 'gzip'), from a leading `CLUSTERLAB_CAPS a b\n` line. */
  caps: string[];
}

/**
 * Split the scan command's output: manifest.json text (or CLUSTERLAB_SAMEGEN), a NUL, then
 * CLUSTERLAB_SAME or records `TYPE SIZE MTIME MODE ./PATH\0`.
 */
export function parseScanOutput(out: Buffer): ScanOutput {
  let text = out.toString('utf8');
  let caps: string[] = [];
  if (text.startsWith('CLUSTERLAB_CAPS')) {
    const eol = text.indexOf('\n');
    caps = text.slice('CLUSTERLAB_CAPS'.length, eol < 0 ? undefined : eol).split(' ').filter(Boolean);
    text = eol < 0 ? '' : text.slice(eol + 1);
  }
  const none = { manifestText: '', sameGeneration: false, allAsLeft: false, records: [] as ScanRecord[], caps };
  if (text.startsWith('CLUSTERLAB_NODIR')) return { ...none, noDir: true };
  const cut = text.indexOf('\0');
  if (cut < 0) return { ...none, manifestText: text, noDir: false };
  const head = text.slice(0, cut);
  const sameGeneration = head === 'CLUSTERLAB_SAMEGEN';
  const manifestText = sameGeneration ? '' : head;
  const rest = text.slice(cut + 1);
  if (rest === 'CLUSTERLAB_SAME') return { manifestText, sameGeneration, allAsLeft: true, records: [], noDir: false, caps };
  return { manifestText, sameGeneration, allAsLeft: false, records: parseRecords(rest), noDir: false, caps };
}

/** Records `TYPE SIZE MTIME MODE ./PATH\0…` as the node's `list` prints them. */
export function parseRecords(text: string): ScanRecord[] {
  const records: ScanRecord[] = [];
  for (const line of text.split('\0')) {
    const m = /^(\S+) (\d+) (\S+) ([0-7]+) (.*)$/s.exec(line);
    if (!m) continue;
    const path = (m[5] as string).replace(/^\.\//, '');
    if (!isSafeRelPath(path)) continue;
    records.push({ type: m[1] as string, size: Number(m[2]), mtime: m[3] as string, mode: parseInt(m[4] as string, 8) & 0o7777, path, raw: line });
  }
  return records;
}

/** Whether the node's file still is exactly what the manifest says we put there. */
export function matchesEntry(rec: ScanRecord, e: ManifestEntry): boolean {
  if (rec.type !== 'f' || rec.size !== e.size || rec.mode !== e.mode) return false;
  const m = /^(\d+)(?:\.(\d*))?$/.exec(rec.mtime);
  if (!m) return false;
  return Number(m[1]) === e.mtime && /^0*$/.test(m[2] ?? '');
}

/** Manifest entries confirmed by the scan. Entries changed or missing on the node are dropped. */
export function verifyManifest(m: Manifest, records: readonly ScanRecord[], allAsLeft = false): Map<string, ManifestEntry> {
  if (allAsLeft) return new Map(Object.entries(m.files));
  const seen = new Map(records.map((r) => [r.path, r]));
  const ok = new Map<string, ManifestEntry>();
  for (const [p, e] of Object.entries(m.files)) {
    const r = seen.get(p);
    if (r && matchesEntry(r, e)) ok.set(p, e);
  }
  return ok;
}

export interface LocalFile {
  /** POSIX path relative to the source folder. */
  path: string;
  size: number;
  mode: number;
  /** Local mtime in ms (the node gets its whole seconds). */
  mtimeMs: number;
  sha256: string;
}

export interface SyncPlan {
  /** Files to send (local differs from what the node verifiably has). */
  send: LocalFile[];
  /** Paths we deployed before that are gone locally: deleted on the node. */
  remove: string[];
  /** Parent folders of removed files, deepest first: removed on the node when empty. */
  rmdirs: string[];
  /** Files already right on the node. */
  unchanged: number;
  /** Files on the node changed or deleted there since the last deploy (sent again if local). */
  driftedOnNode: string[];
  /** The manifest the node holds once the plan is applied. */
  next: Manifest;
  bytesToSend: number;
}

export function planSync(local: readonly LocalFile[], previous: Manifest, verified: ReadonlyMap<string, ManifestEntry>, generation: string): SyncPlan {
  const send: LocalFile[] = [];
  const files: Record<string, ManifestEntry> = {};
  let unchanged = 0;
  let bytesToSend = 0;
  const localPaths = new Set<string>();
  for (const f of local) {
    localPaths.add(f.path);
    const v = verified.get(f.path);
    if (v && v.sha256 === f.sha256 && v.mode === (f.mode & 0o7777)) {
      files[f.path] = v;
      unchanged++;
    } else {
      send.push(f);
      bytesToSend += f.size;
      files[f.path] = { sha256: f.sha256, size: f.size, mode: f.mode & 0o7777, mtime: Math.floor(f.mtimeMs / 1000) };
    }
  }
  const remove = Object.keys(previous.files)
    .filter((p) => !localPaths.has(p))
    .sort();
  const dirs = new Set<string>();
  for (const p of remove) {
    const parts = p.split('/');
    for (let i = parts.length - 1; i > 0; i--) dirs.add(parts.slice(0, i).join('/'));
  }
  const rmdirs = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : a > b ? -1 : 0));
  const driftedOnNode = Object.keys(previous.files).filter((p) => !verified.has(p));
  return { send, remove, rmdirs, unchanged, driftedOnNode, next: { version: MANIFEST_VERSION, generation, files }, bytesToSend };
}
