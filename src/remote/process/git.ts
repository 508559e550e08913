// The workspace's git commit and dirty flag, for the run record. Never fails: no git → {}.
import { execFile } from 'node:child_process';

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => resolve(err ? null : stdout));
  });
}

export async function gitInfo(dir: string): Promise<{ git_commit?: string; git_dirty?: boolean }> {
  const head = await git(dir, ['rev-parse', 'HEAD']);
  if (!head) return {};
  const status = await git(dir, ['status', '--porcelain', '--untracked-files=no']);
  return { git_commit: head.trim(), ...(status !== null ? { git_dirty: status.trim().length > 0 } : {}) };
}
