// Everything about one start that can be worked out without touching a node: the work dir,
// the config path, the command line and the environment. Pure.
import type { ClusterFile, InstanceConfig, NodeConfig } from '../config/schema';
import { DEFAULT_RUN_COMMAND } from '../config/schema';
import { renderCommand, type TemplateValues } from './template';

/** Default work dir for SSH nodes without `remote_work_dir`. */
export const DEFAULT_REMOTE_WORK_DIR = '~/clusterlab';

/** Path-join for POSIX paths given as strings (no `node:path` in core). */
function joinPosix(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  return `${a.replace(/\/+$/, '')}/${b}`;
}

function normalizePosix(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part === '..' && abs) continue;
    else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
}

/** The deploy source folder (absolute), from the cluster file's folder and `deploy.source`. */
export function deploySourceDir(cluster: ClusterFile, clusterDir: string): string {
  return normalizePosix(joinPosix(clusterDir, cluster.deploy?.source ?? '.'));
}

/**
 * Where an instance runs on `node`: for `type: host` the deploy source itself (in place) unless
 * `deploy.host_mode: copy`, then `remote_work_dir`; for other nodes `remote_work_dir` (or
 * ~/clusterlab). May start with `~`: resolve it on the node.
 */
export function nodeWorkDir(cluster: ClusterFile, node: NodeConfig, clusterDir: string): string {
  if (node.type === 'host' && (cluster.deploy?.host_mode ?? 'in_place') === 'in_place') return deploySourceDir(cluster, clusterDir);
  if (node.type === 'host') {
    const w = node.remote_work_dir;
    // Relative to the deploy source, as deploy does for host copies.
    if (!w) return deploySourceDir(cluster, clusterDir);
    return w.startsWith('~') || w.startsWith('/') ? w : normalizePosix(joinPosix(deploySourceDir(cluster, clusterDir), w));
  }
  return node.remote_work_dir ?? DEFAULT_REMOTE_WORK_DIR;
}

/**
 * `{experiment_config_path}`: the instance's own setting, else the file that defines it,
 * relative to the deploy source (absolute when it lies outside the source).
 */
export function experimentConfigPath(instance: InstanceConfig, definitionFile: string | undefined, sourceDir: string): string | undefined {
  if (instance.experiment_config_path) return instance.experiment_config_path;
  if (!definitionFile) return undefined;
  const abs = normalizePosix(definitionFile);
  const base = sourceDir.replace(/\/+$/, '');
  if (abs.startsWith(base + '/')) return abs.slice(base.length + 1);
  return abs;
}

export interface CommandPlan {
  command: string;
  env: Record<string, string>;
  template: string;
}

export interface CommandInputs {
  cluster: ClusterFile;
  instance: InstanceConfig;
  node: string;
  runId: string;
  /** Resolved (absolute) work dir on the node. */
  remoteWorkDir: string;
  experimentConfigPath?: string;
}

export function planCommand(i: CommandInputs): CommandPlan {
  const template = i.instance.command ?? i.cluster.run?.command ?? DEFAULT_RUN_COMMAND;
  const checkpoint = i.instance.failover?.checkpoint_dir ?? i.cluster.failover?.checkpoint_dir;
  const values: TemplateValues = {
    instance_id: i.instance.instance_id,
    node: i.node,
    remote_work_dir: i.remoteWorkDir,
    ...(i.experimentConfigPath !== undefined ? { experiment_config_path: i.experimentConfigPath } : {}),
    ...(checkpoint !== undefined ? { checkpoint_dir: checkpoint } : {}),
  };
  const command = renderCommand(template, values);
  const env: Record<string, string> = {
    ...(i.cluster.run?.env ?? {}),
    ...i.instance.env,
    CLUSTERLAB_INSTANCE_ID: i.instance.instance_id,
    CLUSTERLAB_NODE: i.node,
    CLUSTERLAB_RUN_ID: i.runId,
  };
  return { command, env, template };
}
