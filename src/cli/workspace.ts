// Loads a cluster file and experiment files from disk and validates them with the same code path
// as the editor (validateWorkspace). Non-UTF-8 files become positioned diagnostics, not exceptions.
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { CliIO } from './command';
import { ClusterLabError } from '../core/errors';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../core/config/diagnostics';
import { validateWorkspace, type SourceText, type WorkspaceModel } from '../core/config/validate';

export interface LoadedWorkspace {
  /** Folder of the cluster file. */
  rootDir: string;
  clusterPath: string;
  experimentPaths: string[];
  model?: WorkspaceModel;
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /** --cluster FILE; default cluster.yaml then cluster_config.yaml in io.cwd. */
  cluster?: string;
  /** Explicit experiment files. */
  experiments?: string[];
  /** Also load experiments/**\/*.{yaml,yml,json} next to the cluster file (when no explicit list is given). */
  defaultExperiments?: boolean;
}

export const DEFAULT_CLUSTER_FILES = ['cluster.yaml', 'cluster_config.yaml'];
const EXPERIMENT_EXT = /\.(ya?ml|json)$/i;

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Path shown to the user: as given, or relative to the cwd when inside it. */
export function displayPath(io: CliIO, p: string): string {
  const rel = relative(io.cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

export async function resolveClusterPath(io: CliIO, cluster?: string): Promise<string> {
  if (cluster !== undefined) {
    const p = resolve(io.cwd, cluster);
    if (!(await isFile(p))) {
      if (await isDir(p)) throw new ClusterLabError('cluster-not-found', `cluster file ${cluster} is a folder, not a file`, `Pass the cluster file itself, e.g. --cluster ${join(cluster, 'cluster.yaml')}`, { kind: 'none' });
      throw new ClusterLabError('cluster-not-found', `cluster file ${cluster} not found`, 'Check the path given to --cluster, or create the file (see examples/local/cluster.yaml)', { kind: 'none' });
    }
    return p;
  }
  for (const name of DEFAULT_CLUSTER_FILES) {
    const p = join(io.cwd, name);
    if (await isFile(p)) return p;
  }
  throw new ClusterLabError(
    'cluster-not-found',
    `no cluster file found: neither ${DEFAULT_CLUSTER_FILES.map((n) => join(io.cwd, n)).join(' nor ')} exists`,
    'Create cluster.yaml in this folder (see examples/local/cluster.yaml for a local one) or pass --cluster FILE',
    { kind: 'none' },
  );
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() && EXPERIMENT_EXT.test(e.name)) out.push(p);
  }
}

/** experiments/**\/*.{yaml,yml,json} under `rootDir`, sorted. */
export async function findDefaultExperiments(rootDir: string): Promise<string[]> {
  const out: string[] = [];
  await walk(join(rootDir, 'experiments'), out);
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a file as UTF-8; on invalid bytes, returns a diagnostic at the first bad byte. */
export async function readSource(io: CliIO, path: string, shown: string): Promise<{ src?: SourceText; diagnostic?: Diagnostic }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'this is a folder, not a file' : code === 'EACCES' ? 'permission denied' : `cannot read it (${code ?? 'error'})`;
    return { diagnostic: at(shown, 0, 0, 'read-error', `cannot read ${shown}: ${what}; check the path`) };
  }
  try {
    let text = decoder.decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
      // A NUL byte would end up in ids, paths and commands; config files are text.
      const before = text.slice(0, nul);
      const line = before.split('\n').length - 1;
      return { diagnostic: at(shown, line, nul - (before.lastIndexOf('\n') + 1), 'nul-byte', 'the file contains a NUL byte (0x00), so it is not a text file; remove it or save the file as plain UTF-8 text') };
    }
    return { src: { file: shown, text } };
  } catch {
    const { line, character, byte } = firstInvalidUtf8(bytes);
    return {
      diagnostic: at(shown, line, character, 'not-utf8', `the file is not valid UTF-8 text (invalid byte 0x${byte.toString(16).padStart(2, '0')}); save it as UTF-8, config files must be text`),
    };
  }
}

function at(file: string, line: number, character: number, code: string, message: string): Diagnostic {
  return { file, severity: 'error', code, message, range: { start: { line, character }, end: { line, character: character + 1 } } };
}

/** Line and column (in characters of the valid prefix) of the first invalid UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): { line: number; character: number; byte: number } {
  let line = 0;
  let character = 0;
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let n = 0;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) n = 3;
    else if (c >= 0xf0 && c <= 0xf4) n = 4;
    let ok = n > 0 && i + n <= b.length;
    for (let k = 1; ok && k < n; k++) if (((b[i + k] as number) & 0xc0) !== 0x80) ok = false;
    if (ok && n === 3) {
      const c1 = b[i + 1] as number;
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) ok = false;
    }
    if (ok && n === 4) {
      const c1 = b[i + 1] as number;
      if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) ok = false;
    }
    if (!ok) return { line, character, byte: c };
    if (c === 0x0a) {
      line++;
      character = 0;
    } else character += n === 4 ? 2 : 1;
    i += n;
  }
  return { line, character, byte: 0 };
}

export async function loadWorkspace(io: CliIO, opts: LoadOptions): Promise<LoadedWorkspace> {
  const clusterPath = await resolveClusterPath(io, opts.cluster);
  const rootDir = dirname(clusterPath);
  let experimentPaths: string[];
  if (opts.experiments && opts.experiments.length > 0) experimentPaths = opts.experiments.map((e) => resolve(io.cwd, e));
  else if (opts.defaultExperiments) experimentPaths = await findDefaultExperiments(rootDir);
  else experimentPaths = [];

  const readErrors: Diagnostic[] = [];
  const clusterShown = opts.cluster ?? displayPath(io, clusterPath);
  const c = await readSource(io, clusterPath, clusterShown);
  const exps: SourceText[] = [];
  for (let k = 0; k < experimentPaths.length; k++) {
    const p = experimentPaths[k] as string;
    const given = opts.experiments?.[k];
    const r = await readSource(io, p, given ?? displayPath(io, p));
    if (r.src) exps.push(r.src);
    if (r.diagnostic) readErrors.push(r.diagnostic);
  }
  if (!c.src) {
    return { rootDir, clusterPath, experimentPaths, diagnostics: [...(c.diagnostic ? [c.diagnostic] : []), ...readErrors] };
  }
  const v = validateWorkspace(c.src, exps);
  const diagnostics = sortByInput([...readErrors, ...v.diagnostics], [clusterShown, ...exps.map((e) => e.file)]);
  const model = readErrors.length === 0 ? v.model : undefined;
  return model ? { rootDir, clusterPath, experimentPaths, model, diagnostics } : { rootDir, clusterPath, experimentPaths, diagnostics };
}

function sortByInput(ds: Diagnostic[], order: string[]): Diagnostic[] {
  const rank = new Map(order.map((f, i) => [f, i]));
  return sortDiagnostics(ds).sort((a, b) => (rank.get(a.file) ?? 1e9) - (rank.get(b.file) ?? 1e9));
}

/** One line per problem: FILE:LINE:COL: error|warning: message (1-based), on stderr. */
export function printDiagnostics(io: CliIO, diagnostics: readonly Diagnostic[], stream: 'out' | 'err' = 'err'): void {
  if (diagnostics.length === 0) return;
  const text = diagnostics.map((d) => formatDiagnostic(d)).join('\n') + '\n';
  if (stream === 'out') io.out(text);
  else io.err(text);
}

