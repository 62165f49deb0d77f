/**
 * The parts of the docs that the code knows, generated between markers:
 * `<!-- generated:<name> by scripts/docs.ts -->` ... `<!-- end:<name> -->`. `node scripts/docs.ts` rewrites them,
 * `node scripts/docs.ts --check` lists the stale ones and exits 1; test/unit/docs-generated.test.ts runs the check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MAPPING_OPTIONS,
  type MappingOption,
  OPTION_NAMES,
  type OptionDelivery,
} from '../infra/model/mapping-options.ts';

const REPO_ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/** One generated part: the file it is in, its marker name, and its text. */
export interface DocBlock {
  readonly file: string;
  readonly name: string;
  readonly render: () => string;
}

function defaultText(d: MappingOption): string {
  if (d.default === undefined) return d.unset ?? 'none';
  if (typeof d.default === 'object' && d.default !== null && Object.keys(d.default).length === 0) return 'none';
  return `\`${String(d.default)}\``;
}

function reachesText(delivery: readonly OptionDelivery[]): string {
  return delivery
    .map((d) => {
      if (d.kind === 'env') return `\`${d.env}\` of ${d.functions.join(', ')}`;
      if (d.kind === 'logLevel') return 'the Lambda log level of every function of the mapping';
      return d.what;
    })
    .join('; ');
}

/** The option table of docs/mappings.md, one row per descriptor of infra/model/mapping-options.ts. */
export function optionTable(): string {
  const rows = OPTION_NAMES.map((k) => {
    const d: MappingOption = MAPPING_OPTIONS[k];
    const cells = [
      `\`${k}\``,
      defaultText(d),
      d.targetOverride ? 'yes' : 'no',
      `${d.doc} Accepts ${d.accepts}.`,
      reachesText(d.delivery),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '| Option | Default | A target may override | Meaning and accepted values | Reaches |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Every generated part of the docs. */
export const DOC_BLOCKS: readonly DocBlock[] = [
  { file: 'docs/mappings.md', name: 'mapping-options', render: optionTable },
];

const begin = (name: string) => `<!-- generated:${name} by scripts/docs.ts -->`;
const end = (name: string) => `<!-- end:${name} -->`;

/**
 * `text` with the block `name` replaced by `body`.
 *
 * @throws Error when the markers are missing or out of order.
 */
export function withBlock(text: string, name: string, body: string): string {
  const from = text.indexOf(begin(name));
  const to = text.indexOf(end(name));
  if (from < 0 || to < from) throw new Error(`the markers of ${name} are missing: add ${begin(name)} ... ${end(name)}`);
  return `${text.slice(0, from + begin(name).length)}\n${body}\n${text.slice(to)}`;
}

/** The blocks whose text in `read(file)` differs from what the code generates, as `file: name`. */
export function staleBlocks(
  blocks: readonly DocBlock[] = DOC_BLOCKS,
  read: (file: string) => string = (f) => readFileSync(join(REPO_ROOT, f), 'utf8'),
): string[] {
  return blocks.flatMap((b) => {
    const text = read(b.file);
    return withBlock(text, b.name, b.render()) === text ? [] : [`${b.file}: ${b.name}`];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleBlocks();
    for (const s of stale) console.error(`stale: ${s} (run node scripts/docs.ts)`);
    process.exit(stale.length === 0 ? 0 : 1);
  }
  for (const b of DOC_BLOCKS) {
    const path = join(REPO_ROOT, b.file);
    writeFileSync(path, withBlock(readFileSync(path, 'utf8'), b.name, b.render()));
  }
}
