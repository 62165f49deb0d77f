/**
 * Terminal output of the CLI: colour only on a terminal, a progress line on
 * stderr only on a terminal, aligned tables and human durations. Nothing here
 * ever sees a secret value: callers pass masked text.
 */
import { styleText } from 'node:util';
import type { CommandIo } from './command.ts';

type Format = Parameters<typeof styleText>[0];

/**
 * Colours text for stdout when stdout is a terminal, NO_COLOR is unset, TERM is not dumb and --no-color was not given.
 */
export class Style {
  readonly enabled: boolean;

  constructor(io: CommandIo, opts: { readonly noColor?: boolean; readonly json?: boolean } = {}) {
    const env = io.env;
    this.enabled =
      io.isTTY?.stdout === true && !opts.noColor && !opts.json && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
  }

  /** `text` in `format` (e.g. 'green', ['bold', 'red']) when colour is on, else unchanged. */
  paint(format: Format, text: string): string {
    return this.enabled ? styleText(format, text, { validateStream: false }) : text;
  }

  /** Green for good, yellow for attention, red for bad, dim for notes. */
  good = (text: string) => this.paint('green', text);
  warn = (text: string) => this.paint('yellow', text);
  bad = (text: string) => this.paint('red', text);
  dim = (text: string) => this.paint('dim', text);
  bold = (text: string) => this.paint('bold', text);
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line spinner with the current step on stderr, shown only when stderr
 * is a terminal (never in pipes, logs or tests' captured output). Always
 * {@link Progress.stop} it before writing the result.
 */
export class Progress {
  private readonly io: CommandIo;
  private readonly active: boolean;
  private timer: NodeJS.Timeout | undefined;
  private label = '';
  private frame = 0;

  constructor(io: CommandIo) {
    this.io = io;
    this.active = io.isTTY?.stderr === true && io.env.TERM !== 'dumb';
  }

  /** Shows `label` as the current step. */
  step(label: string): void {
    if (!this.active) return;
    this.label = label;
    this.draw();
    this.timer ??= setInterval(() => this.draw(), 80);
    this.timer.unref();
  }

  /** Clears the line and stops the spinner. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.active) this.io.stderr('\r\x1b[2K');
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.io.stderr(`\r\x1b[2K${FRAMES[this.frame]} ${this.label}…`);
  }
}

// The ANSI escape sequences of styleText, for width computations.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are what it strips.
const ANSI = /\x1b\[[0-9;]*m/g;

/** Visible width of text that may carry colour escapes. */
export function width(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

/** Pads text that may carry colour escapes to `n` visible characters. */
export function pad(text: string, n: number): string {
  return text + ' '.repeat(Math.max(0, n - width(text)));
}

/** An aligned table: a header row and rows, columns separated by two spaces, every line indented by `indent`. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `3m ago`, `2h ago`, `in 5s`: how far `iso` is from `now`, roughly. */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  const text =
    abs < 60
      ? `${abs}s`
      : abs < 3600
        ? `${Math.round(abs / 60)}m`
        : abs < 172_800
          ? `${Math.round(abs / 3600)}h`
          : `${Math.round(abs / 86_400)}d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** Writes `value` as pretty JSON with a final newline. */
export function writeJson(io: CommandIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
