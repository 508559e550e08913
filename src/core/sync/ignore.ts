// Which files a deploy leaves out: config patterns, nested .gitignore files and
// .clusterlabignore, all in gitignore syntax (the `ignore` package). Pure: the caller reads the
// ignore files and hands their text in.
import ignore, { type Ignore } from 'ignore';

/**
 * Always left out, whatever the patterns say: git metadata (any depth), ClusterLab's own state
 * and the run logs (`logs/`, where every run writes `logs/{instance_id}.log` on its node: a local
 * copy must never overwrite a node's live logs). The last two only at the root.
 */
export const ALWAYS_EXCLUDED = ['.git', '.clusterlab', 'logs'] as const;

/** Files whose patterns apply to their own folder and below. */
export const IGNORE_FILES = ['.gitignore', '.clusterlabignore'] as const;

interface Layer {
  /** Folder (relative to the source root, '' for the root) the patterns are relative to. */
  base: string;
  ig: Ignore;
}

/**
 * A stack of ignore layers. The root layer holds the config patterns; every folder with a
 * .gitignore or .clusterlabignore adds a layer for itself and its subfolders.
 */
export class IgnoreRules {
  private constructor(private readonly layers: readonly Layer[]) {}

  static root(configPatterns: readonly string[]): IgnoreRules {
    const ig = ignore().add(configPatterns.filter((p) => p.trim() !== ''));
    return new IgnoreRules([{ base: '', ig }]);
  }

  /** Rules for the folder `dir` (relative), adding the text of its ignore files, if any. */
  child(dir: string, ignoreFileTexts: readonly string[]): IgnoreRules {
    const texts = ignoreFileTexts.filter((t) => t.trim() !== '');
    if (texts.length === 0) return this;
    const ig = ignore();
    for (const t of texts) ig.add(t);
    return new IgnoreRules([...this.layers, { base: dir, ig }]);
  }

  /** Whether `rel` (POSIX, relative to the source root) is left out. */
  ignores(rel: string, isDir: boolean): boolean {
    const parts = rel.split('/');
    if (parts[0] === '.clusterlab' || parts[0] === 'logs' || parts.includes('.git')) return true;
    // Deeper ignore files take precedence, as in git: a later layer may re-include (`!pattern`).
    let ignored = false;
    for (const { base, ig } of this.layers) {
      const sub = base === '' ? rel : rel.startsWith(base + '/') ? rel.slice(base.length + 1) : null;
      if (sub === null || sub === '') continue;
      const r = ig.test(isDir ? sub + '/' : sub);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}
