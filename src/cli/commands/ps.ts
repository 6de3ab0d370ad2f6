/**
 * `heapy ps`: the Node processes the user may attach to: pid, RSS, inspector, command line.
 */
import { type CommandOptions, parseCommandArgs, usageError } from '../args.js';
import { ExitCode } from '../../errors.js';
import { listNodeProcesses } from '../../attach/ps.js';
import type { CommandModule } from '../main.js';
import { formatBytes } from '../../util/format.js';
import { printJson } from '../json.js';

const usage = `usage: heapy ps [options]

Lists the Node.js processes you may attach to (yours; all of them for root): pid, resident
memory, whether the inspector is open and where, and the command line. Attach with
'heapy attach <pid>', 'heapy heap <pid>' or 'heapy snapshot <pid>'.

Options:
      --json   machine-readable output`;

const optionTable = { json: { type: 'boolean', default: false } } satisfies CommandOptions;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('ps', argv, optionTable);
  if (positionals.length > 0) throw usageError('ps', `takes no arguments, got '${positionals[0]}'`);
  const rows = await listNodeProcesses();
  if (values.json) {
    printJson('ps', { processes: rows });
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    process.stdout.write('no Node.js processes you may attach to\n');
    return ExitCode.ok;
  }
  const width = process.stdout.columns ?? 120;
  const lines = ['    PID        RSS  INSPECTOR              COMMAND'];
  for (const r of rows) {
    const insp = r.inspector ?? (r.inspectorUnresponsive ? 'no answer' : '-');
    const state = r.state === 'T' || r.state === 't' ? ' (stopped)' : '';
    const line = `${String(r.pid).padStart(7)} ${formatBytes(r.rssBytes).padStart(10)}  ${insp.padEnd(21)}  ${r.command}${state}`;
    lines.push(process.stdout.isTTY && line.length > width ? line.slice(0, width - 1) + '…' : line);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return ExitCode.ok;
}

/** The `heapy ps` command. */
export const command: CommandModule = {
  summary: 'list the Node processes you may attach to, with RSS and inspector port',
  usage,
  options: optionTable,
  run,
};
