// Drives the VS Code workbench in headless Chromium the way a person would: palette (F1),
// Problems panel, tree views, output channels, notifications, screenshots.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Locator } from 'playwright-core';
import { SCREENSHOT_DIR } from './paths';

export interface Problem {
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based, as the Problems panel shows it. */
  line: number;
  column: number;
  /** The row's aria-label, verbatim. */
  raw: string;
}

export interface TreeItem {
  label: string;
  description: string;
  /** The row's aria-label (VS Code uses the tooltip/label here). */
  ariaLabel: string;
  /** Codicon class of the item's icon, e.g. `codicon-pass-filled`, when it has one. */
  icon: string | undefined;
  level: number;
  expanded: boolean | undefined;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class Workbench {
  constructor(
    readonly page: Page,
    readonly name: string,
  ) {}

  /** waitFor that saves a `FAILED-…` screenshot when it times out. */
  async waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
    try {
      return await waitFor(what, fn, timeoutMs, everyMs);
    } catch (e) {
      await this.screenshot(`FAILED-${what}`).catch(() => undefined);
      throw e;
    }
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
    // The activity bar shows once the extension host has registered the contributed views.
    await this.page.waitForSelector('.activitybar .actions-container', { timeout: timeoutMs });
    // Our contributions are registered once the ClusterLab container shows in the activity bar.
    await this.page.waitForSelector('.activitybar .action-item a[aria-label^="ClusterLab"]', { timeout: timeoutMs });
    await this.dismissNotifications();
  }

  /** Clicks somewhere neutral so keyboard shortcuts reach the workbench. */
  async focus(): Promise<void> {
    await this.page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => undefined);
    await this.page.keyboard.press('Escape');
  }

  /** Runs a command by its palette title (e.g. "ClusterLab: Validate Config"). */
  async runCommand(title: string, timeoutMs = 15_000): Promise<void> {
    await this.focus();
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await waitFor(
      'the command palette',
      async () => {
        await this.page.keyboard.press('F1');
        try {
          await input.waitFor({ state: 'visible', timeout: 1500 });
          return true;
        } catch {
          await this.focus();
          return false;
        }
      },
      timeoutMs,
    );
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    // Right after start the palette may list commands before every contribution is known:
    // reopen it until the command shows.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await row.waitFor({ state: 'visible', timeout: 3000 });
        break;
      } catch (e) {
        if (Date.now() > deadline) {
          await this.screenshot(`FAILED-command-${title}`).catch(() => undefined);
          throw e;
        }
        await input.press('Escape');
        await this.focus();
        await this.page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 3000 }).catch(() => undefined);
        await input.fill(`>${title}`);
      }
    }
    // Pick the row whose label matches exactly when several match.
    const rows = this.page.locator('.quick-input-widget .monaco-list-row');
    const n = await rows.count();
    for (let i = 0; i < n; i++) {
      const label = (await rows.nth(i).locator('.label-name').first().textContent().catch(() => '')) ?? '';
      if (label.replace(/\s+/g, ' ').trim() === title) {
        await rows.nth(i).click();
        return;
      }
    }
    await input.press('Enter');
  }

  /** The visible quick pick's rows (labels), after a command opened one. */
  async quickPickItems(timeoutMs = 10_000): Promise<string[]> {
    const rows = this.page.locator('.quick-input-widget .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: timeoutMs });
    return (await rows.locator('.label-name').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
  }

  async pickQuickItem(label: string | RegExp, timeoutMs = 10_000): Promise<void> {
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
  }

  /** Accepts the quick pick / input box as it stands (Enter). */
  async acceptQuickInput(): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-box input').press('Enter');
  }

  async openProblems(): Promise<void> {
    if (!(await this.page.locator('.markers-panel').isVisible().catch(() => false))) {
      await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    }
    await this.page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 10_000 });
  }

  /** Every marker row in the Problems panel (expanded), parsed from its aria-label. */
  async problems(): Promise<Problem[]> {
    await this.openProblems();
    const labels = await this.page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
    const out: Problem[] = [];
    for (const raw of labels) {
      // e.g. "Error: ram_gb of node host must be greater than 0 … at line 10 and character 13. generated by clusterlab"
      const m = /^(Error|Warning|Info)[^:]*:\s*([\s\S]*?) at line (\d+)(?: and character| column) (\d+)/.exec(raw);
      if (!m) continue;
      out.push({ severity: (m[1] as string).toLowerCase() as Problem['severity'], message: m[2] as string, line: Number(m[3]), column: Number(m[4]), raw });
    }
    return out;
  }

  /** Opens a view container in the activity bar by its title (e.g. "ClusterLab"). */
  async openViewContainer(title: string): Promise<void> {
    const item = this.page.locator(`.activitybar .action-item a[aria-label^="${title}"]`).first();
    await item.waitFor({ state: 'visible', timeout: 20_000 });
    const checked = await this.page.locator(`.activitybar .action-item.checked a[aria-label^="${title}"]`).count();
    if (!checked) await item.click();
  }

  /** The pane of a view by its title (e.g. "Nodes"), in the sidebar. */
  pane(viewTitle: string): Locator {
    return this.page.locator('.part.sidebar .pane', { has: this.page.locator(`.pane-header[aria-label^="${viewTitle}"]`) }).first();
  }

  /** The rows of a tree view as a user sees them. */
  async treeItems(viewTitle: string): Promise<TreeItem[]> {
    const pane = this.pane(viewTitle);
    return pane.locator('.monaco-list-row').evaluateAll((rows) =>
      rows.map((r) => {
        // The item's own icon, not the twistie's.
        const icons = Array.from(r.querySelectorAll('.custom-view-tree-node-item-icon, .codicon')).filter((e) => !e.closest('.monaco-tl-twistie') && !e.closest('.actions'));
        const iconClass = icons.map((e) => Array.from(e.classList).find((c) => c.startsWith('codicon-') && c !== 'codicon-modifier-spin')).find(Boolean);
        const exp = r.getAttribute('aria-expanded');
        return {
          label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
          description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
          ariaLabel: r.getAttribute('aria-label') ?? '',
          icon: iconClass,
          level: Number(r.getAttribute('aria-level') ?? '1'),
          expanded: exp === null ? undefined : exp === 'true',
        };
      }),
    );
  }

  /** Text of a view's welcome content (viewsWelcome), '' when none shows. */
  async welcomeText(viewTitle: string): Promise<string> {
    const w = this.pane(viewTitle).locator('.welcome-view-content');
    if (!(await w.count())) return '';
    return ((await w.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  /** Shows an output channel by name and returns its visible text. */
  async outputChannel(name: string): Promise<string> {
    await this.showOutputChannel(name);
    return this.outputText();
  }

  async showOutputChannel(name: string): Promise<void> {
    await this.runCommand('Output: Show Output Channels...');
    await this.pickQuickItem(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await this.page.locator('.output-view .monaco-editor').waitFor({ state: 'visible', timeout: 10_000 });
  }

  /** The lines the output view currently renders (Monaco virtualises: visible lines only). */
  async outputText(): Promise<string> {
    const lines = await this.page.locator('.output-view .monaco-editor .view-lines .view-line').evaluateAll((els) =>
      els
        .map((e) => ({ top: parseFloat((e as HTMLElement).style.top || '0'), text: (e.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );
    return lines.join('\n');
  }

  /** Notification toasts' messages. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-list-item-message').allTextContents()).map((s) => s.trim());
  }

  async dismissNotifications(): Promise<void> {
    const clear = this.page.locator('.notifications-toasts .codicon-notifications-clear');
    const n = await clear.count().catch(() => 0);
    for (let i = 0; i < n; i++) await clear.nth(0).click().catch(() => undefined);
  }

  /** Text of the status bar item with the given id (`publisher.extension.id` style or name). */
  async statusBarTexts(): Promise<string[]> {
    return (await this.page.locator('.part.statusbar .statusbar-item').allTextContents()).map((s) => s.trim()).filter(Boolean);
  }

  /** Opens a workspace file through Quick Open. */
  async openFile(relPath: string): Promise<void> {
    await this.focus();
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(relPath);
    const base = relPath.split('/').pop() as string;
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: base }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await input.press('Enter');
    await this.page.locator(`.tabs-container .tab[aria-label^="${base}"]`).first().waitFor({ state: 'visible', timeout: 10_000 });
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 10_000 });
  }

  async screenshot(label: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = join(SCREENSHOT_DIR, `${this.name}-${label}.png`.replace(/[^\w.-]+/g, '_'));
    await this.page.screenshot({ path: file });
    return file;
  }
}
