// Waiting in long-running commands (health --watch, monitor, logs -f, run --follow): the wait ends
// early when the command is interrupted (Ctrl-C / SIGTERM abort the CLI's signal).

/** Resolves after `ms` milliseconds, or at once when `signal` aborts; never rejects. Without `ms`, waits for the abort. */
export function sleepUnlessAborted(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = ms !== undefined ? setTimeout(done, ms) : undefined;
    function done() {
      if (t) clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
