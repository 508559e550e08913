// Extension entry: activation stays cheap. The body (src/vscode/main.ts: zod schemas, ssh2,
// views, commands) is evaluated lazily by esbuild's dynamic import, right after activate()
// returns or on the first command, whichever comes first. Until then every contributed command
// is a small proxy that loads the body and then runs the real command.
import * as vscode from 'vscode';

type Core = typeof import('./main');

let core: Promise<Core> | undefined;
let proxies: vscode.Disposable[] = [];
let activatedAt = 0;

function loadCore(context: vscode.ExtensionContext): Promise<Core> {
  core ??= import('./main').then((m) => {
    // The real commands replace the proxies.
    for (const p of proxies) p.dispose();
    proxies = [];
    m.activateCore(context);
    m.logActivation(activatedAt, performance.now());
    return m;
  });
  return core;
}

export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const contributed = (context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? [];
  for (const { command } of contributed) {
    proxies.push(
      vscode.commands.registerCommand(command, async (...args: unknown[]) => {
        await loadCore(context);
        return vscode.commands.executeCommand(command, ...args);
      }),
    );
  }
  context.subscriptions.push({ dispose: () => proxies.forEach((p) => p.dispose()) });
  activatedAt = performance.now() - t0;
  setTimeout(() => void loadCore(context), 0);
}

export function deactivate(): Thenable<void> | undefined {
  return core?.then((m) => m.deactivateCore());
}
