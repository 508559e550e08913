// A tiny cross-process lock (mkdir is atomic), so two test processes never install at once.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export async function lock(path: string, timeoutMs = 300_000): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(path);
      return () => rmSync(path, { recursive: true, force: true });
    } catch {
      // A lock older than the timeout belongs to a process that died.
      try {
        if (Date.now() - statSync(path).mtimeMs > timeoutMs) rmSync(path, { recursive: true, force: true });
      } catch {
        /* released meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
