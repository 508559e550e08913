// The cluster and experiment file formats, as zod schemas. This file is the single source of
// truth: types, validation, hover docs, completion and the JSON Schema are all derived from it.
import { z } from 'zod';

export const NODE_TYPES = ['jetson_orin', 'raspberry_pi', 'host', 'generic'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export const FAILOVER_POLICIES = ['none', 'restart', 'replace'] as const;
export type FailoverPolicyName = (typeof FAILOVER_POLICIES)[number];

export const DEFAULT_RUN_COMMAND = 'python3 experiment_runner.py --config {experiment_config_path}';

const positive = (what: string) => z.number({ error: `${what} must be a number` }).positive({ error: `${what} must be greater than 0` });
const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).nonnegative({ error: `${what} must be 0 or more` });
const positiveInt = (what: string) => z.number({ error: `${what} must be a number` }).int({ error: `${what} must be a whole number` }).positive({ error: `${what} must be greater than 0` });
const identifier = (what: string) =>
  z.string({ error: `${what} must be a string` }).min(1, { error: `${what} must not be empty` });

export const failoverSchema = z
  .strictObject({
    policy: z.enum(FAILOVER_POLICIES).default('none').describe('What happens when the node running an instance is lost or the process crashes: `none` (leave it), `restart` (start it again on the same node once it returns), `replace` (place it again on a healthy node).'),
    max_restarts: z.number().int().nonnegative().default(3).describe('How many times ClusterLab restarts or re-places an instance before giving up.'),
    backoff_seconds: z.number().nonnegative().default(5).describe('Wait before the first restart; doubled for each further restart.'),
    resume_command: z.string().optional().describe('Command used instead of `command` when an instance is restarted, e.g. `python3 experiment_runner.py --config {experiment_config_path} --resume {checkpoint_dir}`.'),
    checkpoint_dir: z.string().optional().describe('Directory (relative to remote_work_dir) holding the instance\'s checkpoints; available as `{checkpoint_dir}`.'),
  })
  .describe('Failover policy.');

export const placementWeightsSchema = z
  .strictObject({
    resource_efficiency: nonNegative('resource_efficiency').default(30).describe('Points for RAM utilisation after placement inside 30–70%.'),
    load_balancing: nonNegative('load_balancing').default(20).describe('Points for nodes with fewer instances and less load.'),
    gpu_preference: nonNegative('gpu_preference').default(15).describe('Points for GPU work on GPU nodes and CPU work kept off GPU nodes.'),
    affinity: nonNegative('affinity').default(25).describe('Points for co-location with affine instances.'),
    preferred_node: nonNegative('preferred_node').default(10).describe('Points for the node an instance names as preferred.'),
  })
  .describe('Scoring weights for automatic placement (defaults 30/20/15/25/10).');

export const nodeSchema = z
  .strictObject({
    name: identifier('name').describe('Unique node name used in placements, e.g. `jetson` or `rpi1`.').meta({ examples: ['rpi1'] }),
    host: z.string().min(1).optional().describe('Address or `~/.ssh/config` Host alias of the node. Not needed for `type: host`.').meta({ examples: ['192.168.1.100'] }),
    type: z.enum(NODE_TYPES).default('generic').describe('Node type: `jetson_orin` (NVIDIA Jetson Orin AGX), `raspberry_pi` (Raspberry Pi 5 or similar), `host` (this machine, runs locally without SSH) or `generic`.'),
    ram_gb: positive('ram_gb').describe('Total RAM of the node in GB.').meta({ examples: [8], 'x-hint': "set the node's total RAM in GB, e.g. ram_gb: 8" }),
    gpu: z.boolean({ error: 'gpu must be true or false' }).default(false).describe('Whether the node has a CUDA GPU.'),
    gpu_memory_gb: nonNegative('gpu_memory_gb').optional().describe('GPU memory in GB (on Jetson this is shared with RAM). Only valid with `gpu: true`.').meta({ examples: [64] }),
    cpu_cores: positiveInt('cpu_cores').optional().describe('Number of CPU cores.').meta({ examples: [4] }),
    max_instances: positiveInt('max_instances').default(1).describe('Maximum number of experiment instances on the node at once.').meta({ examples: [4], 'x-hint': 'use at least 1, e.g. max_instances: 4' }),
    reserved_ram_gb: nonNegative('reserved_ram_gb').default(0).describe('RAM kept free for the OS; placement never allocates it.').meta({ examples: [1], 'x-hint': 'use 0 to reserve nothing, e.g. reserved_ram_gb: 1' }),
    ssh_user: z.string().min(1).optional().describe('SSH user. Defaults to `~/.ssh/config` or the local user name.'),
    ssh_port: z.number().int().min(1).max(65535).optional().describe('SSH port (default 22, or the `~/.ssh/config` Port).').meta({ examples: [22], 'x-hint': 'use a TCP port between 1 and 65535, e.g. ssh_port: 22' }),
    ssh_key_path: z.string().min(1).optional().describe('Private key file, e.g. `~/.ssh/id_ed25519`. ssh-agent is used when available.'),
    remote_work_dir: z.string().min(1).optional().describe('Directory on the node where code is deployed and runs execute. For `type: host` defaults to the workspace.'),
    status: z.enum(['maintenance', 'active']).optional().describe('`maintenance` keeps the node out of placement.'),
    labels: z.record(z.string(), z.string()).optional().describe('Free-form labels.'),
  })
  .describe('A compute node.');

export const deploySchema = z
  .strictObject({
    source: z.string().default('.').describe('Folder to deploy, relative to the cluster file. Defaults to the workspace folder.'),
    exclude: z.array(z.string()).default([]).describe('Extra exclude patterns (gitignore syntax). `.gitignore` and `.clusterlabignore` are always honoured.'),
    host_mode: z.enum(['in_place', 'copy']).default('in_place').describe('How `type: host` nodes run: `in_place` in the source folder, or `copy` into their remote_work_dir.'),
  })
  .describe('Code deployment.');

export const runSchema = z
  .strictObject({
    command: z.string().min(1).default(DEFAULT_RUN_COMMAND).describe('Default command template. Placeholders: `{instance_id}`, `{node}`, `{experiment_config_path}`, `{remote_work_dir}`, `{checkpoint_dir}`.'),
    stop_grace_seconds: z.number().nonnegative().default(10).describe('Seconds between SIGTERM and SIGKILL when stopping.'),
    env: z.record(z.string(), z.string()).default({}).describe('Environment variables for every instance.'),
  })
  .describe('How instances are run.');

export const healthSchema = z
  .strictObject({
    interval_seconds: z.number().positive().default(2).describe('Seconds between health probes while monitoring.'),
    timeout_seconds: z.number().positive().default(3).describe('Per-node probe timeout.'),
    failures_before_unavailable: z.number().int().min(1).default(2).describe('Consecutive failed probes before a node is marked unavailable.'),
    min_failure_seconds: z.number().nonnegative().default(2).describe('Failures must span at least this long before a node is marked unavailable.'),
    successes_before_healthy: z.number().int().min(1).default(2).describe('Consecutive good probes before an unavailable node counts as healthy again.'),
    concurrency: z.number().int().min(1).default(16).describe('How many nodes are probed at once.'),
  })
  .describe('Health monitoring.');

export const clusterFileSchema = z
  .strictObject({
    cluster: z
      .strictObject({
        name: identifier('cluster.name').describe('Cluster name.').meta({ examples: ['my-cluster'] }),
        description: z.string().optional().describe('Free text.'),
      })
      .describe('Cluster identity.'),
    nodes: z.array(nodeSchema).default([]).describe('The compute nodes.'),
    placement: z.strictObject({ weights: placementWeightsSchema.default(placementWeightsSchema.parse({})) }).optional().describe('Placement settings.'),
    deploy: deploySchema.optional(),
    run: runSchema.optional(),
    health: healthSchema.optional(),
    failover: failoverSchema.optional().describe('Default failover policy for every instance.'),
  })
  .describe('ClusterLab cluster configuration (cluster.yaml).');

export const instanceSchema = z
  .strictObject({
    instance_id: identifier('instance_id').describe('Unique id of the instance across all experiment files.').meta({ examples: ['split_brain_A'] }),
    ram_gb: positive('ram_gb').describe('RAM the instance needs, in GB.').meta({ examples: [2], 'x-hint': 'set the RAM the instance needs in GB, e.g. ram_gb: 2 (or 0.5 for 512 MB)' }),
    gpu_required: z.boolean().default(false).describe('The instance can only run on a GPU node.'),
    gpu_preferred: z.boolean().default(false).describe('The instance runs better on a GPU node.'),
    gpu_memory_gb: nonNegative('gpu_memory_gb').optional().describe('GPU memory the instance needs, in GB.').meta({ examples: [4] }),
    cpu_cores: z.number().positive().optional().describe('CPU cores the instance needs.').meta({ examples: [2] }),
    affinity: z.array(identifier('affinity entry')).default([]).describe('Instance ids to co-locate with, when possible.'),
    anti_affinity: z.array(identifier('anti_affinity entry')).default([]).describe('Instance ids that must never share a node with this one.'),
    preferred_node: z.string().min(1).optional().describe('Node this instance prefers (+10 points by default).'),
    experiment_config_path: z.string().min(1).optional().describe('Path of the experiment config, relative to remote_work_dir; `{experiment_config_path}` in the command.'),
    command: z.string().min(1).optional().describe('Command template overriding `run.command`.'),
    env: z.record(z.string(), z.string()).default({}).describe('Environment variables for this instance.'),
    failover: failoverSchema.optional().describe('Failover policy for this instance.'),
  })
  .describe('An experiment instance.');

export const experimentFileSchema = z.union([
  z.strictObject({
    name: z.string().optional().describe('Experiment name.'),
    description: z.string().optional().describe('Free text.'),
    failover: failoverSchema.optional().describe('Default failover policy for the instances in this file.'),
    instances: z.array(instanceSchema).describe('The instances of this experiment.'),
  }),
  instanceSchema,
]);

export type ClusterFile = z.output<typeof clusterFileSchema>;
export type NodeConfig = z.output<typeof nodeSchema>;
export type InstanceConfig = z.output<typeof instanceSchema>;
export type PlacementWeights = z.output<typeof placementWeightsSchema>;
export type FailoverPolicy = z.output<typeof failoverSchema>;
export type DeployConfig = z.output<typeof deploySchema>;
export type RunConfig = z.output<typeof runSchema>;
export type HealthConfig = z.output<typeof healthSchema>;

export const DEFAULT_WEIGHTS: PlacementWeights = placementWeightsSchema.parse({});
export const DEFAULT_DEPLOY: DeployConfig = deploySchema.parse({});
export const DEFAULT_RUN: RunConfig = runSchema.parse({});
export const DEFAULT_HEALTH: HealthConfig = healthSchema.parse({});
export const DEFAULT_FAILOVER: FailoverPolicy = failoverSchema.parse({});
