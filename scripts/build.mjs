// Bundles the extension host code, the CLI and the dashboard webview with esbuild.
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production') || process.env.NODE_ENV === 'production';

// ssh2's optional native parts stay external and are NOT shipped: its `sshcrypto.node` binding
// crashed the CLI with SIGSEGV (about 1 run in 30 with an encrypted key; the backtrace ends in
// Nan::imp::FunctionCallbackWrapper inside the addon). Without it ssh2 runs AES-GCM through
// Node's own OpenSSL, which is as fast on x86. `.npmrc` sets ignore-scripts so npm never builds
// it; a stale copy in dist/ from an older build is removed.
const sshNativeExternals = ['cpu-features', './crypto/build/Release/sshcrypto.node'];
const staleSshCryptoCopy = 'dist/crypto';

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const targets = [
  {
    ...common,
    entryPoints: ['src/vscode/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', ...sshNativeExternals],
    minify: true,
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: sshNativeExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: ['webview/dashboard/main.ts'],
    outfile: 'dist/webview/dashboard.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
  },
];

mkdirSync('dist/webview', { recursive: true });
if (watch) {
  for (const t of targets) {
    const ctx = await esbuild.context(t);
    await ctx.watch();
  }
  console.log('esbuild: watching');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  chmodSync('dist/cli.js', 0o755);
  rmSync(staleSshCryptoCopy, { recursive: true, force: true });
  try {
    copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/webview/uPlot.min.css');
  } catch {
    /* the dashboard styles degrade gracefully without it */
  }
}
