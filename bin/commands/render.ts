/**
 * `eks-secret-sync render --mapping ID --secret-file VALUE.json`: the Kubernetes
 * data a mapping would write from a secret value in a file, offline (no AWS, no
 * cluster). It runs the fetch step's own shaping and checks (secretDataFor), so
 * a render that fails here fails the same way, with the same text, in FetchSecret.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../functions/domain/errors.ts';
import { dataShapeOf, otherStages, PREVIOUS_STAGE } from '../../functions/domain/shape.ts';
import { shapedDataFor } from '../../functions/steps/fetch.ts';
import { EXIT, parseCommandArgs, UsageError, type Command, type CommandIo } from '../lib/command.ts';
import { mask, REVEAL_HELP, REVEAL_OPTIONS, showValue, type MaskedValue, type Reveal } from '../lib/keys.ts';
import { loadConfig, MAPPING_OPTIONS, MAPPINGS_HELP, OUTPUT_HELP, selectMappings } from '../lib/mappings.ts';
import { Style, table, writeJson } from '../lib/ui.ts';

const HELP = `Usage: eks-secret-sync render --mapping ID --secret-file FILE [--previous-file FILE] [options]

Show the Kubernetes data a mapping would write from a secret value given in a
file: its data spec (data, includeOtherKeys) applied, checked as FetchSecret checks
it. Offline: needs no AWS credentials and no cluster. Values are masked.

Options:
  --mapping ID         The mapping (required).
  --secret-file FILE   The secret's value as Secrets Manager would hold it
                       (SecretString): usually a JSON object (required).
  --previous-file FILE The AWSPREVIOUS version's value, for data entries with
                       stage: AWSPREVIOUS. Without it, as for a secret's first
                       version, their keys are left out (listed on stderr).
  --show-values        Print the values themselves (for local use only: a warning
                       goes to stderr). Never in CI logs or a shared terminal.
${MAPPINGS_HELP}
${REVEAL_HELP}
${OUTPUT_HELP}

Exit codes: 0 rendered, 2 a usage error, an unreadable file or a failed render
(the message is the one FetchSecret would raise), 1 an invalid mappings file.
`;

const OPTIONS = {
  ...MAPPING_OPTIONS,
  ...REVEAL_OPTIONS,
  'secret-file': { type: 'string' },
  'previous-file': { type: 'string' },
  'show-values': { type: 'boolean' },
} as const;

/** Warned on stderr whenever values are printed. */
export const SHOW_VALUES_WARNING =
  'warning: --show-values prints secret values in clear text; use it only on your own machine, never in CI logs or ' +
  'a shared terminal\n';

/** The secret file's text; a `.json` file must hold JSON (the parser's message is not shown: it quotes the input). */
function readSecretFile(path: string, option = '--secret-file'): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${option} ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (path.endsWith('.json')) {
    try {
      JSON.parse(text);
    } catch {
      throw new UsageError(`${option} ${path} is not valid JSON; give the secret's value as Secrets Manager holds it`);
    }
  }
  return text;
}

interface RenderHeader {
  readonly mappingsFile: string;
  readonly mapping: string;
  readonly type: string;
  readonly secretFile: string;
}

interface RenderedKey {
  readonly key: string;
  readonly masked: MaskedValue;
  /** Base64, as in the Secret's data: only with --show-values. */
  readonly data?: string;
}

function valueText(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : `(binary, base64) ${base64}`;
}

function output(
  io: CommandIo,
  rows: readonly RenderedKey[],
  header: RenderHeader,
  json: boolean | undefined,
  style: Style,
): void {
  if (json) {
    writeJson(io, {
      ...header,
      keys: rows.map((r) => ({ key: r.key, ...r.masked, ...(r.data !== undefined && { data: r.data }) })),
    });
    return;
  }
  const show = (r: RenderedKey) => (r.data !== undefined ? valueText(r.data) : showValue(r.masked));
  const lines = [
    `${style.bold(`Mapping ${header.mapping}`)}: ${rows.length} ${rows.length === 1 ? 'key' : 'keys'} ` +
      `of type ${header.type} from ${header.secretFile}`,
    '',
    rows.length
      ? table(
          ['KEY', 'VALUE'],
          rows.map((r) => [r.key, show(r)]),
        ).trimEnd()
      : '  (no keys)',
  ];
  io.stdout(`${lines.join('\n')}\n`);
}

/** The `render` command. */
export const renderCommand: Command = {
  name: 'render',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const file = values['secret-file'];
    if (file === undefined) throw new UsageError('missing required option --secret-file FILE');
    const { config } = await loadConfig(values.mappings);
    const [m] = selectMappings(config, values.mapping, true);
    const secretString = readSecretFile(file);
    const previousFile = values['previous-file'];
    const previous =
      previousFile === undefined ? null : { secretString: readSecretFile(previousFile, '--previous-file') };
    const shape = dataShapeOf(m!);
    // Each other label the spec reads: AWSPREVIOUS from --previous-file, any other as carried by no version.
    const others = Object.fromEntries(otherStages(shape).map((s) => [s, s === PREVIOUS_STAGE ? previous : null]));
    let data: Record<string, string>;
    try {
      const shaped = shapedDataFor(
        { primary: { secretString }, others },
        { mappingId: m!.id, type: m!.type, shape },
        `secret file ${file}`,
      );
      data = shaped.data;
      for (const [stage, keys] of Object.entries(shaped.omitted)) {
        io.stderr(`eks-secret-sync render: no version given for stage ${stage}: left out ${keys.join(', ')}\n`);
      }
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      io.stderr(`eks-secret-sync render: ${e.name}: ${e.message}\n`);
      return EXIT.USAGE;
    }
    const reveal: Reveal = { lengths: values['show-lengths'] === true, hashes: values['show-hashes'] === true };
    const showValues = values['show-values'] === true;
    if (showValues) io.stderr(SHOW_VALUES_WARNING);
    const rows = Object.keys(data)
      .sort()
      .map((key) => ({ key, masked: mask(data[key], reveal)!, ...(showValues && { data: data[key] }) }));
    const header = { mappingsFile: config.source, mapping: m!.id, type: m!.type, secretFile: file };
    output(io, rows, header, values.json, new Style(io, { noColor: values['no-color'], json: values.json }));
    return EXIT.OK;
  },
};
