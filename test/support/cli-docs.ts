/**
 * docs/cli.md read as data for the CLI docs test (test/unit/cli-docs.test.ts): its sections by command, the options
 * each section names, and its console examples (`$ eks-secret-sync ...` lines, their output and `(exit N)`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docs/cli.md. */
export const CLI_DOC = join(import.meta.dirname, '../../docs/cli.md');

/** One `$ eks-secret-sync ...` run of a console block. */
export interface Example {
  /** The section (`## <name>`) it is in. */
  readonly section: string;
  readonly line: number;
  /** The words after `eks-secret-sync`. */
  readonly argv: readonly string[];
  /** What it printed (stdout then stderr), as the doc shows it. */
  readonly output: string;
  readonly exitCode: number;
}

/** The `## ` sections of the doc by title, each its text. */
export function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl).trim(), part.slice(nl + 1));
  }
  return out;
}

/** Every `--option` a text names (in prose, synopses and examples). */
export function optionsIn(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z-]*[a-z])/g)].map((m) => m[1]!));
}

/** The options a command's `--help` lists in its Options block. */
export function helpOptions(help: string): Set<string> {
  const block = help.split(/^Options:\n/m)[1]?.split(/\n\n/)[0] ?? '';
  return new Set([...block.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]!));
}

/** Shell words of a command line: spaces split, no quoting (the doc's examples use none). */
const words = (line: string) => line.trim().split(/\s+/);

/** The console examples of the doc, in order. */
export function examples(markdown: string): Example[] {
  const out: Example[] = [];
  let section = '';
  let inConsole = false;
  let current: { section: string; line: number; argv: string[]; output: string[] } | undefined;
  markdown.split('\n').forEach((text, i) => {
    if (text.startsWith('## ')) section = text.slice(3).trim();
    if (/^```console\s*$/.test(text)) {
      inConsole = true;
      return;
    }
    if (!inConsole) return;
    if (text.startsWith('```')) {
      inConsole = false;
      current = undefined;
      return;
    }
    const command = /^\$ eks-secret-sync (.*)$/.exec(text);
    if (command) {
      current = { section, line: i + 1, argv: words(command[1]!), output: [] };
      return;
    }
    const exit = /^\(exit (\d)\)$/.exec(text);
    if (exit && current) {
      out.push({ ...current, output: current.output.map((l) => `${l}\n`).join(''), exitCode: Number(exit[1]) });
      current = undefined;
      return;
    }
    current?.output.push(text);
  });
  return out;
}

/** The doc's text. */
export function cliDoc(): string {
  return readFileSync(CLI_DOC, 'utf8');
}
