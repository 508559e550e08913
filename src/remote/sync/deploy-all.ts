// Deploy several nodes at once, with bounded concurrency. The source is walked and hashed once;
// each node's failure is reported with its name, what failed and what to do, and never stops
// the other nodes.
import { resolve as resolvePath, relative, isAbsolute } from 'node:path';
import type { NodeConfig } from '../../core/config/schema';
import { ClusterLabError, describeError } from '../../core/errors';
import { ConnectionError, type NodeConnection } from '../connection';
import { LocalConnection } from '../local';
import { deploy, prepareSource, type DeployProgress, type DeployResult, type PreparedSource } from './deploy';

export interface DeployTarget {
  node: NodeConfig;
  /** Folder on the node (may start with ~). For `type: host` in place: ignored. */
  remoteDir: string;
}

export interface ConnectionSource {
  get(node: NodeConfig): Promise<NodeConnection>;
}

export interface DeployAllOptions {
  sourceDir: string;
  exclude?: readonly string[];
  /** `deploy.host_mode`: `in_place` (default) or `copy`. */
  hostMode?: 'in_place' | 'copy';
  concurrency?: number;
  dryRun?: boolean;
  onProgress?: (p: DeployProgress) => void;
  signal?: AbortSignal;
}

export type NodeDeployOutcome =
  | { node: string; status: 'deployed'; result: DeployResult }
  | { node: string; status: 'in_place'; dir: string; message: string }
  | { node: string; status: 'failed'; error: string; what: string; fix: string };

export async function deployAll(targets: readonly DeployTarget[], pool: ConnectionSource, opts: DeployAllOptions): Promise<{ outcomes: NodeDeployOutcome[]; prepared: PreparedSource | null }> {
  const sourceDir = resolvePath(opts.sourceDir);
  const hostMode = opts.hostMode ?? 'in_place';
  const needsCopy = targets.some((t) => t.node.type !== 'host' || hostMode === 'copy');
  // The source is walked while the nodes are being reached (the walk and the SSH handshake
  // overlap); a walk that fails is thrown below, as before any node was touched.
  const preparedP: Promise<PreparedSource | null> = needsCopy ? prepareSource(sourceDir, opts.exclude ?? []) : Promise.resolve(null);
  preparedP.catch(() => undefined);
  const outcomes: NodeDeployOutcome[] = new Array(targets.length);
  let next = 0;
  const one = async (t: DeployTarget): Promise<NodeDeployOutcome> => {
    const name = t.node.name;
    if (t.node.type === 'host') {
      const target = resolvePath(sourceDir, t.remoteDir.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
      if (hostMode === 'in_place' || target === sourceDir) return { node: name, status: 'in_place', dir: sourceDir, message: `runs in place at ${sourceDir}` };
      const rel = relative(sourceDir, target);
      if (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith('.clusterlab')) {
        return failed(name, new ClusterLabError('deploy.copy_inside_source', `remote_work_dir ${target} lies inside the deploy source ${sourceDir}`, 'Choose a remote_work_dir outside the source folder (or use deploy.host_mode: in_place)', { kind: 'node', node: name }));
      }
    }
    let conn: NodeConnection;
    try {
      conn = t.node.type === 'host' ? new LocalConnection(name, { rootDir: sourceDir }) : await pool.get(t.node);
    } catch (e) {
      return failed(name, e);
    }
    try {
      const result = await deploy(conn, {
        sourceDir,
        remoteDir: t.remoteDir,
        ...(needsCopy ? { prepared: preparedP as Promise<PreparedSource> } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      return { node: name, status: 'deployed', result };
    } catch (e) {
      return failed(name, e);
    } finally {
      if (t.node.type === 'host') await conn.close();
    }
  };
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      outcomes[i] = await one(targets[i] as DeployTarget);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 8, targets.length)) }, worker));
  const prepared = await preparedP;
  return { outcomes, prepared };
}

function failed(node: string, e: unknown): NodeDeployOutcome {
  if (e instanceof ClusterLabError) return { node, status: 'failed', error: e.message, what: e.what, fix: e.fix };
  if (e instanceof ConnectionError) {
    const msg = e.message.replace(/^node [^:]*: /, '');
    return { node, status: 'failed', error: e.message, what: `cannot deploy: ${msg.replace(/\. .*$/, '')}`, fix: e.hint || 'Check that the node is up and reachable (clusterlab health), then deploy again' };
  }
  const msg = describeError(e);
  return { node, status: 'failed', error: `node ${node}: ${msg}`, what: msg, fix: 'Deploy again; if it keeps failing, run with CLUSTERLAB_DEBUG=1 and report it' };
}
