#!/usr/bin/env python3
"""A small stand-in experiment for ClusterLab's demo workspaces (standard library only).

It reads its instance from the experiment file given with --config, holds a little RAM (the
instance's ram_gb, capped at 64 MB), prints one progress line per step (flushed at once, so
`clusterlab logs -f` shows them live) and exits 0.

Environment:
  CLUSTERLAB_INSTANCE_ID, CLUSTERLAB_NODE, CLUSTERLAB_RUN_ID   set by ClusterLab
  STEPS          number of steps (default 10)
  STEP_SECONDS   seconds per step (default 0.4)
  FAIL_AT_STEP   fail on purpose at this step (exit code 3): the demo's failing variant
"""
import argparse
import os
import re
import signal
import socket
import sys
import time

MAX_HOLD_BYTES = 64 * 1024 * 1024


def instance_ram_gb(config_path, instance_id):
    """ram_gb of `instance_id` in a YAML or JSON experiment file, read line by line (no PyYAML)."""
    try:
        with open(config_path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    inside = False
    for line in text.splitlines():
        m = re.search(r'"?instance_id"?\s*:\s*"?([^",]+?)"?\s*,?\s*$', line)
        if m:
            inside = m.group(1).strip().strip("'") == instance_id
            continue
        if inside:
            r = re.search(r'"?ram_gb"?\s*:\s*([0-9.]+)', line)
            if r:
                return float(r.group(1))
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="", help="experiment file that defines the instance")
    p.add_argument("--instance", default=os.environ.get("CLUSTERLAB_INSTANCE_ID", "instance"))
    p.add_argument("--resume", default=None, help="checkpoint folder (accepted, unused)")
    args = p.parse_args()

    steps = int(os.environ.get("STEPS", "10"))
    step_seconds = float(os.environ.get("STEP_SECONDS", "0.4"))
    fail_at = int(os.environ.get("FAIL_AT_STEP", "0") or 0)
    ram_gb = instance_ram_gb(args.config, args.instance) if args.config else None
    hold = min(int((ram_gb or 0.05) * 1024 ** 3), MAX_HOLD_BYTES)

    stopping = {"signal": None}

    def on_signal(signum, _frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)

    print(f"{args.instance} starting on {os.environ.get('CLUSTERLAB_NODE', socket.gethostname())} "
          f"(run {os.environ.get('CLUSTERLAB_RUN_ID', '-')}, config {args.config or '-'}, "
          f"python {sys.version.split()[0]})", flush=True)
    block = bytearray(hold)
    for i in range(0, len(block), 4096):  # touch every page so the memory is really held
        block[i] = 1
    print(f"holding {hold / 1024 ** 2:.0f} MB of RAM"
          f"{f' (instance asks for {ram_gb:g} GB, capped for the demo)' if ram_gb and ram_gb * 1024 ** 3 > hold else ''}",
          flush=True)

    loss = 1.0
    for step in range(1, steps + 1):
        if stopping["signal"]:
            print(f"stopping at step {step}/{steps} (SIGTERM)", flush=True)
            return 143
        time.sleep(step_seconds)
        loss *= 0.8
        print(f"step {step}/{steps} loss={loss:.4f}", flush=True)
        if fail_at and step == fail_at:
            print(f"error: simulated failure at step {step} (FAIL_AT_STEP={fail_at})",
                  file=sys.stderr, flush=True)
            return 3
    print(f"done: {steps} steps, final loss {loss:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
