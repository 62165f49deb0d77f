/**
 * The template language of the mappings file's `data.<key>.template`: text with
 * `{{ variable | filter: arg }}` expressions, and nothing else. No tags, no
 * loops, no conditionals, no code: rendering is one pass over the parsed
 * template, so its time is bounded by the template's length and its output by
 * {@link MAX_RENDERED_BYTES}. Variables are looked up through own properties of
 * the secret's JSON only (never a prototype, a method or a property of a
 * string), and filters are a fixed table. Why not LiquidJS, Handlebars or
 * Mustache: docs/decisions.md#templates-a-small-engine-of-our-own.
 *
 * Values are bytes (a Buffer) all the way through, so `base64_decode` can give
 * binary data. Errors never carry a value: {@link TemplateSyntaxError} quotes
 * the template (configuration), {@link TemplateRenderError} names a variable
 * path or a filter.
 */

/** The most bytes any value may grow to while rendering: a Kubernetes Secret holds at most 1 MiB of data. */
export const MAX_RENDERED_BYTES = 1_048_576;

/** The longest template accepted, in characters (the whole data spec must fit Lambda's 4 KB environment). */
export const MAX_TEMPLATE_LENGTH = 4096;

/** One segment of a variable path: letters, digits, `_` and `-` (hyphens are common in secret keys). */
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** A template that cannot be parsed; the message quotes the template's position, never a secret value. */
export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
}

/**
 * A render that could not complete: a variable the secret does not have, or a
 * filter that refused its input. `missing` is the variable's path when that was the cause.
 */
export class TemplateRenderError extends Error {
  override name = 'TemplateRenderError';
  readonly missing: string | undefined;
  constructor(message: string, missing?: string) {
    super(message);
    this.missing = missing;
  }
}

/** An operand: a variable path (split in segments) or a string literal. */
type Operand =
  | { readonly kind: 'variable'; readonly path: readonly string[] }
  | { readonly kind: 'literal'; readonly text: string };

interface FilterCall {
  readonly name: FilterName;
  readonly args: readonly Operand[];
}

type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'expr'; readonly operand: Operand; readonly filters: readonly FilterCall[] };

/** A parsed template. */
export interface Template {
  readonly parts: readonly Part[];
}

/** A value while rendering: bytes, or nothing (a variable the secret does not have). */
type Value = Buffer | undefined;

interface FilterDef {
  /** Number of arguments. */
  readonly arity: number;
  /** What it does, for the docs and error messages. */
  readonly does: string;
  readonly apply: (input: Value, args: readonly Value[]) => Value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function required(input: Value, filter: string): Buffer {
  if (input === undefined) throw new TemplateRenderError(`the filter ${filter} got no value`);
  return input;
}

function text(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** The filters, by name: a fixed table, the only functions a template can call. */
const FILTERS = {
  base64_encode: {
    arity: 0,
    does: 'standard base64 of the bytes',
    apply: (v) => Buffer.from(required(v, 'base64_encode').toString('base64'), 'ascii'),
  },
  base64_decode: {
    arity: 0,
    does: 'the bytes of standard or URL-safe base64 (whitespace ignored)',
    apply: (v) => {
      const s = text(required(v, 'base64_decode')).replace(/\s+/g, '');
      if (BASE64.test(s)) return Buffer.from(s, 'base64');
      if (BASE64URL.test(s) && s.length % 4 !== 1) return Buffer.from(s, 'base64url');
      throw new TemplateRenderError('the filter base64_decode got a value that is not base64');
    },
  },
  url_encode: {
    arity: 0,
    does: 'percent-encoding for a URL component (encodeURIComponent)',
    apply: (v) => Buffer.from(encodeURIComponent(text(required(v, 'url_encode'))), 'utf8'),
  },
  json: {
    arity: 0,
    does: 'a JSON string literal, quotes included',
    apply: (v) => Buffer.from(JSON.stringify(text(required(v, 'json'))), 'utf8'),
  },
  default: {
    arity: 1,
    does: 'the argument when the value is missing or empty',
    apply: (v, [fallback]) => {
      if (v !== undefined && v.length > 0) return v;
      if (fallback === undefined) throw new TemplateRenderError('the argument of the filter default has no value');
      return fallback;
    },
  },
  append: {
    arity: 1,
    does: 'the value followed by the argument',
    apply: (v, [arg]) => Buffer.concat([required(v, 'append'), required(arg, 'append (as its argument)')]),
  },
  prepend: {
    arity: 1,
    does: 'the argument followed by the value',
    apply: (v, [arg]) => Buffer.concat([required(arg, 'prepend (as its argument)'), required(v, 'prepend')]),
  },
} as const satisfies Record<string, FilterDef>;

/** A filter's name. */
export type FilterName = keyof typeof FILTERS;

/** Every filter with its arity and what it does (docs, help). */
export const FILTER_NAMES = Object.keys(FILTERS) as FilterName[];

function isFilterName(name: string): name is FilterName {
  return Object.hasOwn(FILTERS, name);
}

/** True when `path` is a valid variable or `path` value: segments of letters, digits, `_`, `-`, joined by `.`. */
export function isValidPath(path: string): boolean {
  return path.length > 0 && path.length <= 1024 && path.split('.').every((s) => SEGMENT.test(s));
}

/** Where `offset` is in the template, for messages: `line 1, column 12`. */
function position(source: string, offset: number): string {
  const before = source.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

class ExprParser {
  private i: number;
  private readonly source: string;
  constructor(source: string, start: number) {
    this.source = source;
    this.i = start;
  }

  get offset(): number {
    return this.i;
  }

  fail(what: string): never {
    throw new TemplateSyntaxError(`at ${position(this.source, this.i)}: ${what}`);
  }

  skipSpace(): void {
    while (this.i < this.source.length && /\s/.test(this.source[this.i]!)) this.i++;
  }

  advance(): void {
    this.i++;
  }

  peek(s: string): boolean {
    return this.source.startsWith(s, this.i);
  }

  operand(what: string): Operand {
    this.skipSpace();
    const c = this.source[this.i];
    if (c === '"' || c === "'") {
      const end = this.source.indexOf(c, this.i + 1);
      if (end < 0) this.fail(`a string started with ${c} is not closed`);
      const literal = this.source.slice(this.i + 1, end);
      this.i = end + 1;
      return { kind: 'literal', text: literal };
    }
    const m = /^[A-Za-z0-9_.-]+/.exec(this.source.slice(this.i, this.i + 1025));
    if (!m) this.fail(`expected ${what}: a variable such as password or connection.host, or a quoted string`);
    if (!isValidPath(m[0]))
      this.fail(
        `${JSON.stringify(m[0])} is not a variable path; expected names of letters, digits, '_' or '-' joined by '.'`,
      );
    this.i += m[0].length;
    return { kind: 'variable', path: m[0].split('.') };
  }

  filter(): FilterCall {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.source.slice(this.i, this.i + 64));
    if (!m) this.fail(`expected a filter name after '|' (one of ${FILTER_NAMES.join(', ')})`);
    const name = m[0];
    if (!isFilterName(name))
      this.fail(`unknown filter ${JSON.stringify(name)}; the filters are ${FILTER_NAMES.join(', ')}`);
    this.i += name.length;
    this.skipSpace();
    const args: Operand[] = [];
    if (this.peek(':')) {
      this.i++;
      args.push(this.operand(`an argument of ${name}`));
      this.skipSpace();
      while (this.peek(',')) {
        this.i++;
        args.push(this.operand(`an argument of ${name}`));
        this.skipSpace();
      }
    }
    const arity = FILTERS[name].arity;
    if (args.length !== arity) {
      const takes = arity === 0 ? 'no argument' : `${arity} argument (${name}: "text" or ${name}: variable)`;
      this.fail(`the filter ${name} takes ${takes}, not ${args.length}`);
    }
    return { name, args };
  }
}

/**
 * Parses a template.
 *
 * @throws TemplateSyntaxError naming the position and what was expected: an
 *   unclosed `{{`, a tag (`{%`), an unknown filter, a bad variable name.
 */
export function parseTemplate(source: string): Template {
  if (source.length > MAX_TEMPLATE_LENGTH) {
    throw new TemplateSyntaxError(`is ${source.length} characters long; at most ${MAX_TEMPLATE_LENGTH}`);
  }
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    const tag = source.indexOf('{%', i);
    if (tag >= 0 && (open < 0 || tag < open)) {
      throw new TemplateSyntaxError(
        `at ${position(source, tag)}: tags ({% ... %}) are not supported: a template has only {{ variable | filter ` +
          `}} expressions`,
      );
    }
    if (open < 0) {
      parts.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'text', text: source.slice(i, open) });
    const p = new ExprParser(source, open + 2);
    const operand = p.operand('a variable or a string after {{');
    const filters: FilterCall[] = [];
    p.skipSpace();
    while (p.peek('|')) {
      p.advance();
      filters.push(p.filter());
      p.skipSpace();
    }
    if (!p.peek('}}')) p.fail(p.offset >= source.length ? "'{{' is not closed by '}}'" : "expected '|' or '}}'");
    parts.push({ kind: 'expr', operand, filters });
    i = p.offset + 2;
  }
  return { parts };
}

/** The variable paths a template reads (dotted), in order of first use. */
export function templateVariables(template: Template): string[] {
  const seen = new Set<string>();
  const add = (o: Operand) => {
    if (o.kind === 'variable') seen.add(o.path.join('.'));
  };
  for (const part of template.parts) {
    if (part.kind !== 'expr') continue;
    add(part.operand);
    for (const f of part.filters) f.args.forEach(add);
  }
  return [...seen];
}

/**
 * Looks a variable up: each segment an own property of an object, or an index
 * of an array; a Buffer or a primitive has no properties. Prototypes are never
 * consulted.
 */
export type Lookup = (path: readonly string[]) => Value;

function bounded(v: Value, where: string): Value {
  if (v !== undefined && v.length > MAX_RENDERED_BYTES) {
    throw new TemplateRenderError(`${where} grew past ${MAX_RENDERED_BYTES} bytes, the most a Kubernetes Secret holds`);
  }
  return v;
}

function evaluate(o: Operand, lookup: Lookup): Value {
  return o.kind === 'literal' ? Buffer.from(o.text, 'utf8') : lookup(o.path);
}

/**
 * Renders a parsed template with `lookup` for its variables.
 *
 * @throws TemplateRenderError for a variable the secret does not have (its
 *   path in `missing`), a filter that refused its input, or an output over
 *   {@link MAX_RENDERED_BYTES}. The message never holds a value.
 */
export function renderTemplate(template: Template, lookup: Lookup): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  for (const part of template.parts) {
    let v: Value;
    if (part.kind === 'text') v = Buffer.from(part.text, 'utf8');
    else {
      v = evaluate(part.operand, lookup);
      for (const f of part.filters) {
        // A missing value passes untouched to a later `default`, or fails below.
        if (v === undefined && f.name !== 'default') continue;
        const args = f.args.map((a) => evaluate(a, lookup));
        const def: FilterDef = FILTERS[f.name];
        try {
          v = bounded(def.apply(v, args), `the output of the filter ${f.name}`);
        } catch (e) {
          if (e instanceof TemplateRenderError && e.missing === undefined) {
            const missingArg = f.args.find((a, k) => a.kind === 'variable' && args[k] === undefined);
            if (missingArg?.kind === 'variable') throw new TemplateRenderError(e.message, missingArg.path.join('.'));
          }
          throw e;
        }
      }
      if (v === undefined) {
        const path = part.operand.kind === 'variable' ? part.operand.path.join('.') : undefined;
        throw new TemplateRenderError(
          `the variable ${path === undefined ? '' : JSON.stringify(path)} has no value`,
          path,
        );
      }
    }
    total += v.length;
    if (total > MAX_RENDERED_BYTES) {
      throw new TemplateRenderError(
        `the output grew past ${MAX_RENDERED_BYTES} bytes, the most a Kubernetes Secret holds`,
      );
    }
    out.push(v);
  }
  return Buffer.concat(out);
}
