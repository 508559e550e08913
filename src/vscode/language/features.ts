// Hover documentation and completion for cluster and experiment files, from the core (which
// derives both from the zod schema). Only files the settings name as config files get them.
import * as vscode from 'vscode';
import { hoverAt } from '../../core/config/hover';
import { completionsAt } from '../../core/config/completion';
import type { ConfigKind } from '../../core/config/jsonSchema';
import type { ConfigModel } from '../state/configModel';

const SELECTOR: vscode.DocumentSelector = [
  { language: 'yaml', scheme: 'file' },
  { language: 'yaml', scheme: 'untitled' },
  { language: 'json', scheme: 'file' },
  { language: 'jsonc', scheme: 'file' },
];

function kindOf(config: ConfigModel, doc: vscode.TextDocument): ConfigKind | undefined {
  if (config.isClusterDocument(doc)) return 'cluster';
  if (config.isExperimentDocument(doc)) return 'experiment';
  return undefined;
}

export function registerLanguageFeatures(context: vscode.ExtensionContext, config: ConfigModel): void {
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(SELECTOR, {
      provideHover(doc, pos) {
        const kind = kindOf(config, doc);
        if (!kind) return undefined;
        const h = hoverAt(kind, doc.getText(), doc.offsetAt(pos));
        if (!h) return undefined;
        const range = new vscode.Range(h.range.start.line, h.range.start.character, h.range.end.line, h.range.end.character);
        return new vscode.Hover(new vscode.MarkdownString(h.markdown), range);
      },
    }),
    vscode.languages.registerCompletionItemProvider(
      SELECTOR,
      {
        provideCompletionItems(doc, pos) {
          const kind = kindOf(config, doc);
          // JSON files get completion from VS Code's JSON support and the contributed schema.
          if (!kind || doc.languageId !== 'yaml') return undefined;
          return completionsAt(kind, doc.getText(), doc.offsetAt(pos)).map((c) => {
            const item = new vscode.CompletionItem(c.label, c.kind === 'property' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.Value);
            if (c.detail) item.detail = c.detail;
            if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
            if (c.insertText !== undefined) item.insertText = c.insertText;
            return item;
          });
        },
      },
      ':',
      ' ',
    ),
  );
}
