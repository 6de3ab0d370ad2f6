/**
 * The `heapy` command: dispatches to one module per subcommand under ./commands/.
 * This is the only layer that prints errors and chooses exit codes.
 */
import { escapeControls, ExitCode, HeapyError } from '../errors.js';
import type { CommandOptions } from './args.js';

/** A subcommand module: runs with the arguments after its name and returns an exit code. */
export interface CommandModule {
  /** One line for `heapy help`. */
  readonly summary: string;
  /** Usage text printed for `--help` or bad usage. */
  readonly usage: string;
  /** The options table `run` parses its arguments with (the `--help` test checks it against `usage`). */
  readonly options: CommandOptions;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

// One module a command under ./commands/, each loaded lazily so that `heapy summary` does not
// pay for the browser or inspector code.
/** Every command name, in the order `heapy help` lists them. */
export const commandNames = [
  'summary', 'path', 'repl', 'demo', 'connect', 'ps', 'attach', 'snapshot', 'heap', 'diff', 'leaks',
  'graph', 'hints', 'run', 'monitor', 'plot', 'peak', 'list', 'rm', 'clean', 'alloc', 'report', 'serve', 'redact',
] as const;

async function loadCommand(name: string): Promise<CommandModule | undefined> {
  if (!(commandNames as readonly string[]).includes(name)) return undefined;
  try {
    const mod = (await import(`./commands/${name}.js`)) as { command: CommandModule };
    return mod.command;
  } catch (err) {
    // A command whose module is not built yet is reported as unknown, not as a crash.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`commands/${name}.js`)) {
      return undefined;
    }
    throw err;
  }
}

/** The edit distance (insertions, deletions, substitutions) between `a` and `b`. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * The command a mistyped name most likely meant: the only command it is a prefix of, else the
 * nearest within two edits (git suggests within a similar distance), else none.
 */
export function suggestCommand(name: string): string | undefined {
  const prefixed = commandNames.filter((c) => c.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of commandNames) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** The usage error for a name that is not a command, with a suggestion when one is close. */
function unknownCommand(name: string): HeapyError {
  const guess = suggestCommand(name);
  return new HeapyError(`unknown command '${name}'${guess ? `; did you mean '${guess}'?` : ''} (see 'heapy help')`, ExitCode.usage);
}

async function help(): Promise<string> {
  const lines = ['usage: heapy <command> [options]', '', 'commands:'];
  for (const name of commandNames) {
    const cmd = await loadCommand(name);
    if (cmd) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  lines.push('', 'Run `heapy help <command>` or `heapy <command> --help` for its options. Add --debug to see stack traces.');
  return lines.join('\n');
}

/** Entry point: returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  // Options after `--` belong to a command heapy runs (heapy run -- node --help), not to heapy.
  const dashdash = argv.indexOf('--');
  const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
  const debug = own.includes('--debug');
  const args = [...own.filter((a) => a !== '--debug'), ...(dashdash < 0 ? [] : argv.slice(dashdash))];
  const name = args[0];
  try {
    if (name === 'help' && args[1] !== undefined) {
      // `heapy help <command>` is `heapy <command> --help`.
      const cmd = await loadCommand(args[1]);
      if (!cmd) throw unknownCommand(args[1]);
      process.stdout.write(cmd.usage + '\n');
      return ExitCode.ok;
    }
    if (!name || name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write((await help()) + '\n');
      return name ? ExitCode.ok : ExitCode.usage;
    }
    if (name === '--version' || name === '-V') {
      const { readFileSync } = await import('node:fs');
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(pkg.version + '\n');
      return ExitCode.ok;
    }
    const cmd = await loadCommand(name);
    if (!cmd) throw unknownCommand(name);
    if (own.includes('--help') || own.includes('-h')) {
      process.stdout.write(cmd.usage + '\n');
      return ExitCode.ok;
    }
    return await cmd.run(args.slice(1));
  } catch (err) {
    if (err instanceof HeapyError) {
      // Errors are one line, with any control bytes an input put in them escaped. A usage error
      // points at the command's help instead of printing it.
      let message = escapeControls(err.message.split('\n')[0] ?? err.message);
      if (err.exitCode === ExitCode.usage && name && !message.includes('--help') && !message.includes("'heapy help'")) {
        message += ` (see 'heapy ${name} --help')`;
      }
      process.stderr.write(`heapy: ${message}\n`);
      if (debug && err.stack) process.stderr.write(err.stack + '\n');
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`heapy: internal error: ${escapeControls(String(e?.message ?? err))}${debug ? '' : ' (run with --debug for details)'}\n`);
    if (debug && e?.stack) process.stderr.write(e.stack + '\n');
    return ExitCode.internal;
  }
}

