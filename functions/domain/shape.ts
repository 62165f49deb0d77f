/**
 * Shaping: the mapping's optional `data` spec turns the AWS secret's value
 * into the Kubernetes data keys it names. Each produced key comes from one
 * top-level key (`from`), a property path into nested JSON (`path`, `a.b`,
 * `a.0.b`) or a template ({@link parseTemplate}); `includeOtherKeys` also
 * copies the keys the spec does not read. Without a spec, every top-level key
 * lands as it is ({@link parseSecretPayload}).
 *
 * Pure: plain data in, plain data out. Every message names the mapping, the
 * produced key and the input it missed, never a value. The same code runs in
 * FetchSecret, the CLI's plan, sync and render, and the synth-time checks.
 */
import { InvalidInputError } from './errors.ts';
import { invalidKeyReasons, parseSecretPayload, SINGLE_VALUE_KEY, type SecretPayload } from './secret-data.ts';
import { REQUIRED_KEYS } from './secret-types.ts';
import {
  isValidPath,
  parseTemplate,
  renderTemplate,
  TemplateRenderError,
  TemplateSyntaxError,
  templateVariables,
  type Template,
} from './template.ts';
import type { SecretData, SecretType } from './types.ts';

/** The staging label a mapping reads unless an entry names another. */
export const CURRENT_STAGE = 'AWSCURRENT';

/** The label Secrets Manager moves to the version that held AWSCURRENT before. */
export const PREVIOUS_STAGE = 'AWSPREVIOUS';

/**
 * Where one produced key's value comes from: exactly one of the three, and optionally the staging label of the
 * version it reads (`stage`, absent: the version the mapping syncs).
 */
export type DataSource = ({ readonly from: string } | { readonly path: string } | { readonly template: string }) & {
  readonly stage?: string;
};

/** A mapping's `data` spec and `includeOtherKeys`, as the fetch step receives it (env DATA_SHAPE). */
export interface DataShape {
  readonly data: Readonly<Record<string, DataSource>>;
  readonly includeOtherKeys: boolean;
}

/** The secret's value as shaping sees it: its JSON object, or `{ value }` for anything else. */
type SourceObject = Readonly<Record<string, unknown>>;

/** Most top-level key names listed in a message about a missing input. */
const LISTED_KEYS = 20;

/**
 * A `data` entry as the mappings file's schema gives it: the three fields optional (the schema checks that
 * exactly one is set).
 */
export interface DataSourceFields {
  readonly from?: string;
  readonly path?: string;
  readonly template?: string;
  readonly stage?: string;
}

/** The entry's one source, the others dropped (a schema-checked entry has exactly one), and its stage if any. */
export function dataSourceOf(e: DataSourceFields): DataSource {
  const stage = e.stage === undefined ? {} : { stage: e.stage };
  if (e.from !== undefined) return { from: e.from, ...stage };
  if (e.path !== undefined) return { path: e.path, ...stage };
  return { template: e.template ?? '', ...stage };
}

/**
 * The staging labels other than `primary` (the label the mapping syncs) that the spec's entries read, sorted:
 * the fetch step reads each of them once, besides the primary version.
 */
export function otherStages(shape: DataShape | undefined, primary: string = CURRENT_STAGE): string[] {
  if (shape === undefined) return [];
  const stages = Object.values(shape.data).map((e) => e.stage ?? primary);
  return [...new Set(stages.filter((s) => s !== primary))].sort();
}

/**
 * The secret versions one shaping reads: the primary one (the event's version, else the version carrying the
 * mapping's label) and, by staging label, the others the spec names; null for a label no version carries.
 */
export interface SourceVersions {
  readonly primary: SecretPayload;
  /**
   * The staging label the primary version stands for: an entry naming it reads the primary version.
   * @default AWSCURRENT
   */
  readonly primaryStage?: string;
  readonly others?: Readonly<Record<string, SecretPayload | null>>;
}

/** What a shaping produced: the data, and the keys left out because no version carries their label. */
export interface ShapedData {
  readonly data: SecretData;
  /** Produced keys left out, by the staging label no version carried (sorted); empty when none was. */
  readonly omitted: Readonly<Record<string, readonly string[]>>;
}

/** The shape of a mapping's fields, or undefined when it has no `data` (every key as it is). */
export function dataShapeOf(m: {
  readonly data?: Readonly<Record<string, DataSourceFields>>;
  readonly includeOtherKeys?: boolean;
}): DataShape | undefined {
  if (m.data === undefined) return undefined;
  const data = Object.fromEntries(Object.entries(m.data).map(([k, e]) => [k, dataSourceOf(e)]));
  return { data, includeOtherKeys: m.includeOtherKeys ?? false };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The secret's value as an object to shape: a JSON object as parsed, anything else under `value` (binary as bytes). */
export function sourceObject(payload: SecretPayload): SourceObject {
  if (payload.secretString !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.secretString);
    } catch {
      parsed = undefined;
    }
    return isObject(parsed) ? parsed : { [SINGLE_VALUE_KEY]: payload.secretString };
  }
  if (payload.secretBinary !== undefined) return { [SINGLE_VALUE_KEY]: Buffer.from(payload.secretBinary) };
  // parseSecretPayload throws the one message for a version without a value.
  parseSecretPayload(payload);
  return {};
}

/** Why a path resolved to nothing, in words that hold no value: `"connection" has no key "host"`. */
type Resolution = { readonly value: unknown } | { readonly missing: string };

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'binary';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Follows `segments` through own properties and array indexes only. */
function resolve(root: SourceObject, segments: readonly string[]): Resolution {
  let cur: unknown = root;
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k]!;
    const at = k === 0 ? 'the secret' : JSON.stringify(segments.slice(0, k).join('.'));
    if (Array.isArray(cur)) {
      const n = /^\d+$/.test(seg) ? Number(seg) : -1;
      if (n < 0 || n >= cur.length)
        return { missing: `${at} is a list of ${cur.length} without index ${JSON.stringify(seg)}` };
      cur = cur[n];
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, seg)) return { missing: `${at} has no key ${JSON.stringify(seg)}` };
      cur = cur[seg];
    } else {
      return { missing: `${at} is ${kindOf(cur)}, which has no key ${JSON.stringify(seg)}` };
    }
  }
  return { value: cur };
}

/**
 * A resolved value as bytes: strings as UTF-8, binary as it is, anything else as its compact JSON (like unshaped
 * keys).
 */
function bytesOf(v: unknown): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v);
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
}

function keyList(root: SourceObject): string {
  const keys = Object.keys(root).sort();
  const shown = keys
    .slice(0, LISTED_KEYS)
    .map((k) => JSON.stringify(k))
    .join(', ');
  const more = keys.length > LISTED_KEYS ? ` and ${keys.length - LISTED_KEYS} more` : '';
  return keys.length === 0 ? 'the secret has no keys' : `the secret's top-level keys: ${shown}${more}`;
}

/** The source segments of an entry (`from` is one segment even with dots in it). */
function inputsOf(source: DataSource, template?: Template): string[][] {
  if ('from' in source) return [[source.from]];
  if ('path' in source) return [source.path.split('.')];
  return templateVariables(template ?? parseTemplate(source.template)).map((v) => v.split('.'));
}

/**
 * The Kubernetes data (base64 values) a mapping writes from one secret version.
 *
 * @param where - Names the secret version and mapping in messages, e.g. `mapping "db" (secret <arn> version <id>)`.
 * @throws InvalidInputError for a missing key, a path that resolves to nothing or
 *   a template that fails: the message names the mapping, the produced key and
 *   the missing input, never a value. Nothing is produced then.
 */
export function shapeSecretData(payload: SecretPayload, shape: DataShape | undefined, where: string): SecretData {
  return shapeSecretVersions({ primary: payload }, shape, where).data;
}

/**
 * {@link shapeSecretData} over several versions: an entry naming a `stage` other than the primary one reads the
 * version `versions.others` gives for it. A label no version carries (null: AWSPREVIOUS of a secret's first
 * version) leaves that entry's key out, listed in `omitted`; a label absent from `others` is a programming
 * error. `includeOtherKeys` copies the primary version's keys only.
 *
 * @throws InvalidInputError as {@link shapeSecretData}; the message also names the stage of the entry.
 */
export function shapeSecretVersions(versions: SourceVersions, shape: DataShape | undefined, where: string): ShapedData {
  if (shape === undefined) return { data: parseSecretPayload(versions.primary), omitted: {} };
  const primaryStage = versions.primaryStage ?? CURRENT_STAGE;
  const roots = new Map<string | undefined, SourceObject | null>([[undefined, sourceObject(versions.primary)]]);
  const rootOf = (stage: string | undefined): SourceObject | null => {
    if (!roots.has(stage)) {
      const other = versions.others?.[stage!];
      if (other === undefined) throw new Error(`shapeSecretVersions: stage ${JSON.stringify(stage)} was not read`);
      roots.set(stage, other === null ? null : sourceObject(other));
    }
    return roots.get(stage)!;
  };
  // A Map, made an object by fromEntries at the end: a key named __proto__ stays a key.
  const out = new Map<string, string>();
  const omitted = new Map<string, string[]>();
  const read = new Set<string>();
  for (const key of Object.keys(shape.data).sort()) {
    const source = shape.data[key]!;
    const stage = (source.stage ?? primaryStage) === primaryStage ? undefined : source.stage;
    const root = rootOf(stage);
    if (root === null) {
      omitted.set(stage!, [...(omitted.get(stage!) ?? []), key]);
      continue;
    }
    const at = stage === undefined ? '' : ` (stage ${stage})`;
    const value = shapeEntry(root, source, (what, cause) => {
      throw new InvalidInputError(
        `${where}: data key ${JSON.stringify(key)}${at}: ${what}. Fix the AWS secret or the mapping's data.`,
        { cause },
      );
    });
    if (stage === undefined) for (const input of inputsOf(source)) read.add(input[0]!);
    out.set(key, value);
  }
  if (shape.includeOtherKeys) {
    const all = parseSecretPayload(versions.primary);
    for (const [k, v] of Object.entries(all)) if (!read.has(k) && !out.has(k)) out.set(k, v);
  }
  return { data: Object.fromEntries(out), omitted: Object.fromEntries(omitted) };
}

/** One entry's value (base64) from the secret object `root`; `fail` throws the entry's message. */
function shapeEntry(root: SourceObject, source: DataSource, fail: (what: string, cause?: unknown) => never): string {
  let template: Template | undefined;
  if ('template' in source) {
    try {
      template = parseTemplate(source.template);
    } catch (e) {
      fail(`the template does not parse (${(e as Error).message})`);
    }
  }
  if ('from' in source || 'path' in source) {
    const segments = 'from' in source ? [source.from] : source.path.split('.');
    const found = resolve(root, segments);
    const named = 'from' in source ? `from ${JSON.stringify(source.from)}` : `path ${JSON.stringify(source.path)}`;
    if ('missing' in found) fail(`${named} resolves to nothing: ${found.missing} (${keyList(root)})`);
    return bytesOf((found as { value: unknown }).value).toString('base64');
  }
  const lookup = (path: readonly string[]) => {
    const found = resolve(root, path);
    return 'value' in found ? bytesOf(found.value) : undefined;
  };
  try {
    return renderTemplate(template!, lookup).toString('base64');
  } catch (e) {
    if (!(e instanceof TemplateRenderError)) throw e;
    if (e.missing === undefined) fail(`the template failed: ${e.message}`);
    const why = resolve(root, e.missing!.split('.'));
    const detail = 'missing' in why ? why.missing : 'it has no value';
    return fail(
      `the template reads ${JSON.stringify(e.missing)}, which resolves to nothing: ${detail} (${keyList(root)})`,
    );
  }
}

/** One problem of a data spec found without a secret value: the field path under the mapping and what is wrong. */
export interface ShapeProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * A string that stands for every value when a template is rendered at synth time: its quote and backslash show
 * whether the template escapes values.
 */
const PLACEHOLDER = 'x"y\\z';

/** Longest staging label Secrets Manager takes (UpdateSecretVersionStage VersionStage). */
const MAX_STAGE_LENGTH = 256;

/** Why `stage` cannot name a version to read, or undefined when it can. */
export function stageProblem(stage: string): string | undefined {
  if (stage === '' || stage.length > MAX_STAGE_LENGTH) {
    return `${JSON.stringify(stage)} is not a staging label; expected 1 to ${MAX_STAGE_LENGTH} characters`;
  }
  if (stage === 'AWSPENDING') {
    return (
      'AWSPENDING is the version a rotation has not finished testing, and no event follows it; read AWSCURRENT ' +
      'or AWSPREVIOUS, or a label of your own'
    );
  }
  return undefined;
}

function entryProblems(key: string, source: DataSource): ShapeProblem[] {
  const at = (field: string, message: string): ShapeProblem => ({ path: ['data', key, field], message });
  const stage = source.stage === undefined ? undefined : stageProblem(source.stage);
  if (stage !== undefined) return [at('stage', stage)];
  if ('from' in source) {
    return source.from === '' ? [at('from', 'is empty; expected a top-level key of the secret, such as password')] : [];
  }
  if ('path' in source) {
    return isValidPath(source.path)
      ? []
      : [
          at(
            'path',
            `${JSON.stringify(source.path)} is not a property path; expected names of letters, digits, '_' or '-' ` +
              `joined by '.', such as connection.host or hosts.0.name`,
          ),
        ];
  }
  try {
    parseTemplate(source.template);
    return [];
  } catch (e) {
    if (e instanceof TemplateSyntaxError) return [at('template', `does not parse: ${e.message}`)];
    throw e;
  }
}

function typeProblems(shape: DataShape, type: SecretType): ShapeProblem[] {
  if (shape.includeOtherKeys) return []; // the secret's own keys may give what the type needs: checked at sync time.
  const produced = Object.keys(shape.data);
  const missing = REQUIRED_KEYS[type].filter((k) => !produced.includes(k));
  const problems: ShapeProblem[] = [];
  if (missing.length > 0) {
    const names = missing.map((k) => JSON.stringify(k)).join(' and ');
    problems.push({
      path: ['data'],
      message:
        `does not produce ${names}, which a Secret of type ${type} needs; add ` +
        `${missing.length === 1 ? 'it' : 'them'} (for example "${missing[0]}": { from: <key> }) or set ` +
        `includeOtherKeys: true`,
    });
  }
  const docker = shape.data['.dockerconfigjson'];
  if (type === 'kubernetes.io/dockerconfigjson' && docker !== undefined && 'template' in docker) {
    const problem = dockerTemplateProblem(docker.template);
    if (problem) problems.push({ path: ['data', '.dockerconfigjson', 'template'], message: problem });
  }
  return problems;
}

/** Renders the template with a placeholder for every value and checks the result is a docker config JSON. */
function dockerTemplateProblem(source: string): string | undefined {
  let rendered: string;
  try {
    rendered = renderTemplate(parseTemplate(source), () => Buffer.from(PLACEHOLDER, 'utf8')).toString('utf8');
  } catch {
    return undefined; // a syntax error is reported once, above; a filter such as base64_decode refuses the placeholder
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rendered);
  } catch {
    return (
      'does not render a JSON document when a value holds a quote or a backslash; put each value through the ' +
      'json filter, e.g. "password": {{ password | json }}'
    );
  }
  if (!isObject(parsed) || !isObject(parsed.auths)) {
    return (
      'does not render a JSON object with an "auths" object; expected {"auths": {"<registry>": {"username": ' +
      '..., "password": ..., "auth": ...}}}'
    );
  }
  return undefined;
}

/**
 * What can be checked of a data spec without a secret value: every template
 * parses, every `from`, `path` and template variable is a valid name, every
 * produced key is a valid Kubernetes key, and the Secret type can be satisfied
 * (tls keys produced; a `.dockerconfigjson` template renders a docker config).
 */
export function shapeProblems(shape: DataShape, type: SecretType): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const keys = Object.keys(shape.data);
  if (keys.length === 0)
    problems.push({
      path: ['data'],
      message: 'is empty; name at least one key, or leave data out to copy every key as it is',
    });
  for (const bad of invalidKeyReasons(keys)) {
    problems.push({
      path: ['data', bad.key],
      message:
        `is not a valid Kubernetes Secret data key: it ${bad.reason}; a key may contain only letters, ` +
        `digits, '-', '_' and '.'`,
    });
  }
  for (const key of keys) problems.push(...entryProblems(key, shape.data[key]!));
  if (problems.length === 0) problems.push(...typeProblems(shape, type));
  return problems;
}
