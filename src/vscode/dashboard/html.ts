// The dashboard page: a strict CSP with a per-load nonce; scripts and styles only from dist/webview.
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

/** The page. `script`/`style` are webview URIs (webview.asWebviewUri) of dist/webview files. */
export function dashboardHtml(cspSource: string, script: string, style: string, nonce = makeNonce()): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(style)}" nonce="${nonce}">
<title>ClusterLab Dashboard</title>
</head>
<body>
<div id="app" data-nonce="${nonce}"><p class="loading">Loading the ClusterLab dashboard…</p></div>
<script nonce="${nonce}">window.litNonce = ${JSON.stringify(nonce)};</script>
<script nonce="${nonce}" src="${escapeAttr(script)}"></script>
</body>
</html>`;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
