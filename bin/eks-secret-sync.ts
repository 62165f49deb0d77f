#!/usr/bin/env node
/**
 * The `eks-secret-sync` command line: a small dispatcher over `bin/commands/`.
 *
 * Exit codes: 0 success, 2 usage error (unknown command or option, missing or
 * malformed value), 1 failure, 3 attention (the command ran and found something
 * that needs a person: see each command's help). Errors go to stderr as one line that names what was
 * wrong and how to fix it. No command prints a secret value; `token` prints its
 * token only as the ExecCredential it exists to produce.
 */
import {
  CommandFailure,
  EXIT,
  UsageError,
  oneLine,
  type Command,
  type CommandIo,
  type ExitCode,
  type JsonError,
} from './lib/command.ts';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRODUCT_NAME } from '../functions/domain/product.ts';

const PROGRAM = PRODUCT_NAME;

interface CommandEntry {
  readonly summary: string;
  /** Loaded on demand, so one command's dependencies never slow another (kubectl runs `token` often). */
  readonly load: () => Promise<Command>;
}

// One entry per command, in the order --help lists them.
const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  plan: {
    summary: 'Show what a sync of a mapping would change now (keys, masked values)',
    load: async () => (await import('./commands/plan.ts')).planCommand,
  },
  sync: {
    summary: 'Sync a mapping now from this terminal, printing each step (--dry-run: plan only)',
    load: async () => (await import('./commands/sync.ts')).syncCommand,
  },
  render: {
    summary: 'Show the data a mapping would write from a secret value in a file (offline, masked)',
    load: async () => (await import('./commands/render.ts')).renderCommand,
  },
  status: {
    summary: 'Per mapping: AWSCURRENT vs the Secret, last sync, failed executions; DLQ depth',
    load: async () => (await import('./commands/status.ts')).statusCommand,
  },
  redrive: {
    summary: 'Redrive failed syncs from the dead-letter queue (--dry-run: show only)',
    load: async () => (await import('./commands/redrive.ts')).redriveCommand,
  },
  doctor: {
    summary: 'Find the usual misconfigurations, each with its fix',
    load: async () => (await import('./commands/doctor.ts')).doctorCommand,
  },
  rbac: {
    summary: 'Print the Role and RoleBinding of a mapping for kubectl apply',
    load: async () => (await import('./commands/rbac.ts')).rbacCommand,
  },
  token: {
    summary: "Print an EKS bearer token as a kubectl ExecCredential (like 'aws eks get-token')",
    load: async () => (await import('./commands/token.ts')).tokenCommand,
  },
};

/** The commands, in the order --help lists them: the one list docs and tests derive theirs from. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

function programHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return `Usage: ${PROGRAM} <command> [options]

Sync AWS Secrets Manager secrets into Kubernetes Secrets on Amazon EKS.

Commands:
${lines.join('\n')}

Run '${PROGRAM} <command> --help' for the options of a command.

Exit codes: 0 success, 1 failure, 2 usage error, 3 attention needed (plan: a sync would
write; status: out of sync, DLQ messages or failed executions; doctor: problems found).
No command prints a secret value.
`;
}

/**
 * Runs the CLI with `argv` (the arguments after the program name).
 *
 * @returns the exit code; never throws: every error is reported on `io.stderr`.
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(programHelp());
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
    io.stdout(programHelp());
    return EXIT.OK;
  }
  // `help <command>` is `<command> --help`.
  const [name, args] = first === 'help' ? [rest[0] as string, ['--help']] : [first, rest];
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    const known = Object.keys(COMMANDS).join(', ');
    io.stderr(
      `${PROGRAM}: unknown command ${JSON.stringify(name)} (commands: ${known}). Run '${PROGRAM} --help' for usage.\n`,
    );
    return EXIT.USAGE;
  }

  // Under --json, a failure still prints one JSON document on stdout (after the one-line report on stderr).
  const json = args.includes('--json');
  const fail = (code: ExitCode, text: string, error: Omit<JsonError['error'], 'command' | 'exitCode'>): ExitCode => {
    io.stderr(text);
    if (json) io.stdout(`${JSON.stringify({ error: { command: name, exitCode: code, ...error } }, null, 2)}\n`);
    return code;
  };
  try {
    const command = await entry.load();
    // Every command's --help/-h is answered here, before its options are parsed.
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(command.help);
      return EXIT.OK;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const message = oneLine(error.message).replace(/\.$/, '');
      return fail(EXIT.USAGE, `${PROGRAM} ${name}: ${message}. Run '${PROGRAM} ${name} --help' for usage.\n`, {
        message,
        fix: `${PROGRAM} ${name} --help`,
      });
    }
    if (isMappingsError(error)) {
      // Every problem of the file, one per line (infra/model/config.ts formats them).
      return fail(
        EXIT.FAILURE,
        `${PROGRAM} ${name}: ${error.message}\nRun '${PROGRAM} doctor' for a diagnosis with fixes.\n`,
        { message: error.message.split('\n')[0]!, problems: error.problems, fix: `${PROGRAM} doctor` },
      );
    }
    // Messages only, never stacks or causes: our errors' messages are sanitized, a cause may not be.
    const message = oneLine(error instanceof Error ? error.message : String(error));
    const { fix, step } = error instanceof CommandFailure ? error : { fix: undefined, step: undefined };
    return fail(EXIT.FAILURE, `${PROGRAM} ${name}: ${message}\n${fix ? `  fix: ${fix}\n` : ''}`, {
      message,
      ...(fix !== undefined && { fix }),
      ...(step !== undefined && { step }),
    });
  }
}

/** infra/model/config.ts's MappingsError, recognized without loading that module (kubectl runs `token` often). */
function isMappingsError(error: unknown): error is Error & { problems: string[] } {
  return (
    error instanceof Error &&
    error.name === 'MappingsError' &&
    Array.isArray((error as { problems?: unknown }).problems)
  );
}

/**
 * Whether this file is the program Node runs: `import.meta.main` on Node 24; on Node 22 (which lacks it), the entry
 * path resolved through the npm bin link is this file.
 */
function isEntry(): boolean {
  const main = (import.meta as { main?: boolean }).main;
  if (main !== undefined) return main;
  const entry = process.argv[1];
  return entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url);
}

/** Runs the CLI as this process: its arguments, stdout and stderr, and its exit code. */
export async function runProcess(): Promise<void> {
  const io: CommandIo = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  };
  // exitCode rather than process.exit(): exit() may cut off output still queued for a pipe.
  process.exitCode = await main(process.argv.slice(2), io);
}

if (isEntry()) await runProcess();
