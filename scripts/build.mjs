// Bundles the extension host code, the CLI and the dashboard webview with esbuild.
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production') || process.env.NODE_ENV === 'production';

// ssh2's optional native parts: it falls back to pure JS without them. The bundles require
// `./crypto/build/Release/sshcrypto.node` relative to dist/, so the built addon is copied there
// (when npm built it); without it ssh2 silently uses its pure-JS ciphers, so the .vsix and
// other platforms still work.
const sshNativeExternals = ['cpu-features', './crypto/build/Release/sshcrypto.node'];
const sshCryptoAddon = 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node';
const sshCryptoCopy = 'dist/crypto/build/Release/sshcrypto.node';

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
  if (existsSync(sshCryptoAddon)) {
    mkdirSync(dirname(sshCryptoCopy), { recursive: true });
    copyFileSync(sshCryptoAddon, sshCryptoCopy);
  } else {
    rmSync(sshCryptoCopy, { force: true });
  }
  try {
    copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/webview/uPlot.min.css');
  } catch {
    /* the dashboard styles degrade gracefully without it */
  }
}
