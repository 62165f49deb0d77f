// The docs link check (test/unit/docs-links.test.ts): relative Markdown links
// and #anchors in README.md and docs/*.md, and the references into the docs
// that code comments make (`docs/<file>.md#<anchor>`, `README.md#<anchor>`).
// Slugs are GitHub's, from github-slugger (the library GitHub's own rendering
// is matched against): lowercase, punctuation other than `-` and `_` dropped,
// spaces to `-`, a repeated heading gets `-1`, `-2`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';

/** One link or reference that does not resolve. */
export interface Problem {
  /** The file holding it, relative to the root. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly problem: string;
}

/** A link or reference found in a file. */
export interface Ref {
  readonly target: string;
  readonly line: number;
}

const FENCE = /^\s*(`{3,}|~{3,})/;

/** The lines of a Markdown text outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const m = FENCE.exec(text);
    if (m) {
      const marker = m[1]!;
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ text, line: i + 1 });
  });
  return out;
}

/** Inline code spans blanked out, so a link written inside backticks is not a link. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)[\s\S]*?\1/g, (s) => ' '.repeat(s.length));
}

/** The anchors a Markdown file offers: GitHub slugs of its ATX headings (outside code), and `<a id|name="...">`. */
export function anchors(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const out = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text);
    if (h) {
      // GitHub slugs the rendered text: a link shows its text, an image its alt text.
      const rendered = h[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
      out.add(slugger.slug(rendered));
    }
    for (const a of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(a[1]!);
  }
  return out;
}

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`, outside code. */
export function markdownLinks(markdown: string): Ref[] {
  const out: Ref[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = withoutCodeSpans(text);
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1]!, line });
    const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    if (def) out.push({ target: def[1]!, line });
  }
  return out;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

function readAnchors(cache: Map<string, Set<string>>, file: string): Set<string> {
  let set = cache.get(file);
  if (!set) {
    set = anchors(readFileSync(file, 'utf8'));
    cache.set(file, set);
  }
  return set;
}

/** Checks that `target` (a path relative to `base`, with an optional #anchor) resolves. */
function resolveTarget(
  root: string,
  base: string,
  from: string,
  ref: Ref,
  cache: Map<string, Set<string>>,
): Problem | undefined {
  const hash = ref.target.indexOf('#');
  const path = hash < 0 ? ref.target : ref.target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(ref.target.slice(hash + 1));
  const file = path === '' ? from : resolve(base, decodeURI(path));
  const where = { file: relative(root, from), line: ref.line, target: ref.target };
  if (!existsSync(file)) return { ...where, problem: `${relative(root, file)} does not exist` };
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(file).isDirectory() || extname(file).toLowerCase() !== '.md') {
    return { ...where, problem: `#${anchor} points into ${relative(root, file)}, which is not a Markdown file` };
  }
  if (!readAnchors(cache, file).has(anchor)) {
    return { ...where, problem: `${relative(root, file)} has no heading with the anchor #${anchor}` };
  }
  return undefined;
}

/** The Markdown files the check covers: README.md and docs/*.md, relative to `root`. */
export function docFiles(root: string): string[] {
  const dir = join(root, 'docs');
  const docs = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.md'))
        .sort()
    : [];
  return ['README.md', ...docs.map((f) => `docs/${f}`)].filter((f) => existsSync(join(root, f)));
}

/** Every relative link and anchor of `files` (relative to `root`) that does not resolve. */
export function checkMarkdown(root: string, files: readonly string[]): Problem[] {
  const cache = new Map<string, Set<string>>();
  const problems: Problem[] = [];
  for (const name of files) {
    const from = join(root, name);
    for (const ref of markdownLinks(readFileSync(from, 'utf8'))) {
      if (EXTERNAL.test(ref.target)) continue;
      const p = resolveTarget(root, dirname(from), from, ref, cache);
      if (p) problems.push(p);
    }
  }
  return problems;
}

/**
 * References into the docs in a source file: `docs/<file>.md`, `docs/<file>.md#<anchor>`
 * and `README.md#<anchor>`, all relative to the repository root.
 */
export function codeDocRefs(text: string): Ref[] {
  const out: Ref[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(?<![\w-])(docs\/[\w.-]+\.md|README\.md)(#[\w-]+)?/g)) {
      if (m[1] === 'README.md' && m[2] === undefined) continue;
      out.push({ target: m[1]! + (m[2] ?? ''), line: i + 1 });
    }
  });
  return out;
}

/**
 * Mentions of the README in a source file that name no file ("see the README's command
 * line section"): the README is the front door and its sections move, so code points at
 * the docs page that holds the detail (or at `README.md#<anchor>`).
 */
export function vagueReadmeRefs(text: string): Ref[] {
  const out: Ref[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/README(?!\.md)/g)) out.push({ target: m[0], line: i + 1 });
  });
  return out;
}

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|sh|go|py|txt)$/;

/** Source files under `dirs` (folders or single files, relative to `root`); no dot folders, node_modules, results. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (SOURCE.test(entry.name) && !/^results(\.local)?\.json$/.test(entry.name)) out.push(relative(root, path));
    }
  };
  for (const d of dirs) {
    const path = join(root, d);
    if (existsSync(path) && statSync(path).isFile()) out.push(d);
    else walk(path);
  }
  return out.sort();
}

/** Every docs reference in the source files under `dirs` that does not resolve (from the repository root). */
export function checkCodeRefs(root: string, dirs: readonly string[]): Problem[] {
  const cache = new Map<string, Set<string>>();
  const problems: Problem[] = [];
  for (const name of sourceFiles(root, dirs)) {
    const from = join(root, name);
    for (const ref of codeDocRefs(readFileSync(from, 'utf8'))) {
      const p = resolveTarget(root, root, from, ref, cache);
      if (p) problems.push(p);
    }
  }
  return problems;
}

/** Vague README pointers in the source files under `dirs`, except in the files named in `except`. */
export function checkVagueReadmeRefs(root: string, dirs: readonly string[], except: readonly string[] = []): Problem[] {
  return sourceFiles(root, dirs)
    .filter((name) => !except.includes(name))
    .flatMap((name) =>
      vagueReadmeRefs(readFileSync(join(root, name), 'utf8')).map((ref) => ({
        file: name,
        line: ref.line,
        target: ref.target,
        problem: 'names no file: point at the docs page that holds it, docs/<file>.md#<anchor> (or README.md#<anchor>)',
      })),
    );
}

/** One line per problem, for a readable failure. */
export function describe(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.target}: ${p.problem}`).join('\n');
}
