import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, dashboardHtml } from '../../../src/vscode/dashboard/html';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

test('the page has a strict CSP with a nonce, and every script carries that nonce', () => {
  const html = dashboardHtml(CSP_SOURCE, `${CSP_SOURCE}/ext/dist/webview/dashboard.js`, `${CSP_SOURCE}/ext/dist/webview/dashboard.css`, 'abc123');
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  assert.equal(csp, `default-src 'none'; script-src 'nonce-abc123'; style-src ${CSP_SOURCE} 'nonce-abc123'; font-src ${CSP_SOURCE}; img-src ${CSP_SOURCE} data:`);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.ok(scripts.length >= 1);
  for (const s of scripts) assert.match(s, /nonce="abc123"/);
  assert.match(html, /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/dashboard\.js"/);
});

test('a fresh nonce per page, and URIs cannot break out of their attribute', () => {
  const a = dashboardHtml(CSP_SOURCE, 'x.js', 'x.css');
  const b = dashboardHtml(CSP_SOURCE, 'x.js', 'x.css');
  const nonce = (h: string): string | undefined => /'nonce-([^']+)'/.exec(h)?.[1];
  assert.ok(nonce(a) && nonce(a)!.length >= 16);
  assert.notEqual(nonce(a), nonce(b));
  const evil = dashboardHtml(CSP_SOURCE, 'x.js"><script>alert(1)</script>', 'x.css');
  assert.doesNotMatch(evil, /<script>alert/);
  assert.equal(contentSecurityPolicy('S', 'N').split('; ')[0], "default-src 'none'");
});
