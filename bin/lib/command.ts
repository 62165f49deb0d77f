/**
 * What every CLI command shares: the command contract, the exit codes, the usage
 * error and argument parsing that turns node:util parseArgs failures into it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The CLI's documented exit codes. */
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** The command ran and failed (no credentials, AWS or cluster refused). */
  FAILURE: 1,
  /** The command line was wrong: unknown command or option, missing or malformed value. */
  USAGE: 2,
  /**
   * The command ran and found something that needs a person: `plan` (and `sync --dry-run`)
   * would write, `status` sees a mapping out of sync, messages in the DLQ or failed
   * executions, `doctor` found a problem.
   */
  ATTENTION: 3,
} as const;

/** One of the values of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a command writes and what environment it reads; injected so main() can be driven in-process. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Whether stdout and stderr are terminals: colour (stdout) and progress (stderr)
   * appear only there. @default neither is a terminal
   */
  readonly isTTY?: { readonly stdout: boolean; readonly stderr: boolean };
}

/** A subcommand of the CLI. */
export interface Command {
  /** The word after the program name, e.g. `token`. */
  readonly name: string;
  /** Full `--help` text, ending with a newline. */
  readonly help: string;
  /**
   * Runs the command with the arguments after its name.
   *
   * @returns the exit code.
   * @throws UsageError for a bad command line; any other error is a failure (exit 1).
   */
  readonly run: (args: readonly string[], io: CommandIo) => Promise<ExitCode>;
}

/**
 * A command that could not do its job, with the fix a person can apply (printed on its own line, and in the JSON
 * error document under `--json`). The message is sanitized like every error message of this tool.
 */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
  /** What to do about it: a command or a change, one line. */
  readonly fix?: string;
  /** The pipeline step that failed, when a step did. */
  readonly step?: string;

  constructor(message: string, opts: { fix?: string; step?: string } = {}) {
    super(message);
    if (opts.fix !== undefined) this.fix = opts.fix;
    if (opts.step !== undefined) this.step = opts.step;
  }
}

/**
 * The one JSON document a command prints on stdout under `--json` when it fails before printing its own, so a
 * script that parses stdout always gets one (docs/cli.md, "Output").
 */
export interface JsonError {
  readonly error: {
    readonly command: string;
    readonly exitCode: ExitCode;
    readonly message: string;
    readonly problems?: readonly string[];
    readonly fix?: string;
    readonly step?: string;
  };
}

/** A wrong command line. The message names the offending flag or value and what would be right. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * `parseArgs` in strict mode with no positionals, its errors rethrown as
 * {@link UsageError} so that the dispatcher reports them with exit code 2.
 *
 * @throws UsageError on an unknown option, a missing value or a stray positional.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      // Node's messages name the option; keep only their first sentence, on one line.
      const message = oneLine((error as Error).message);
      throw new UsageError(message.split(/(?<=\.) /)[0] ?? message);
    }
    throw error;
  }
}

/** Collapses a message to one line, for the one-line error report. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
