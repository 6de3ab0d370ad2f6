/**
 * `heapy demo`: the Quantlane story on a bundled Node service that knows nothing about heapy.
 * Starts examples/market-data/service.mjs, attaches to it by pid as a user would, and walks
 * through what heapy finds, then detaches and stops the service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, HeapyError } from '../../errors.js';
import { HeapSet } from '../../api/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, duration, parseCommandArgs, DURATION_HELP } from '../args.js';
import { formatDuration } from '../../util/format.js';

const usage = `usage: heapy demo [options]

Starts the bundled market-data service (examples/market-data/service.mjs), attaches to it by pid
through its inspector, prints the heap by kind, the property stores of its timestamp class, the
message queue that never drains and its shortest path, then detaches and stops the service.

Options:
      --wait <time>   how long to let the service run before the first snapshot (default 3s)

${DURATION_HELP}`;

const servicePath = fileURLToPath(new URL('../../../../examples/market-data/service.mjs', import.meta.url));
const WIDTH = 80;

function say(text = ''): void {
  process.stdout.write(text + '\n');
}

function heading(text: string): void {
  say();
  say(`== ${text} ${'='.repeat(Math.max(0, WIDTH - text.length - 4))}`);
}

/** Wraps prose to the terminal width, keeping a hanging indent. */
function wrap(text: string, indent = ''): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    const lead = /^\s*/.exec(para)![0];
    for (const word of para.trim().split(/\s+/)) {
      if (line && line.length + 1 + word.length > WIDTH) {
        out.push(line);
        line = lead + indent + word;
      } else {
        line = line ? `${line} ${word}` : lead + word;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

/** Breaks a long path line before a `.` or `[` so that it fits, continuing with an indent. */
function wrapPath(line: string): string {
  const out: string[] = [];
  let rest = line;
  while (rest.length > WIDTH) {
    let cut = -1;
    for (let i = WIDTH - 1; i > 8; i--) {
      if (rest[i] === '.' || rest[i] === '[') {
        cut = i;
        break;
      }
    }
    if (cut < 0) break;
    out.push(rest.slice(0, cut));
    rest = '      ' + rest.slice(cut);
  }
  out.push(rest);
  return out.join('\n');
}

/** Shortens table rows to the terminal width (the kind column is last). */
function fit(table: string): string {
  return table
    .split('\n')
    .map((l) => (l.length > WIDTH ? l.slice(0, WIDTH - 1) + '…' : l))
    .join('\n');
}

function startService(): Promise<{ child: ChildProcess; pid: number }> {
  return new Promise((resolve, reject) => {
    // The service's stderr is not shown: Node prints its own "Debugger listening" lines there
    // when heapy opens the inspector.
    const child = spawn(process.execPath, [servicePath], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => reject(new HeapyError('the demo service did not start within 10 s', ExitCode.targetTimeout)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /pid (\d+) listening/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, pid: Number(m[1]) });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new HeapyError(`the demo service exited early (code ${code})`, ExitCode.internal)));
  });
}

function rowOf(set: HeapSet, label: string): number {
  return set.partition.rows.findIndex((r) => r.label === label);
}

const optionTable = { wait: { type: 'string', default: '3s' } } satisfies CommandOptions;

/** `heapy demo`. */
export const command: CommandModule = {
  summary: 'the guided tour: attach to a bundled leaky service and find its problems',
  usage,
  options: optionTable,
  async run(argv) {
    const { values } = parseCommandArgs('demo', argv, optionTable);
    const waitMs = duration('--wait', values.wait);
    const { attachTarget } = await import('../../attach/connect.js');
    const { takeSnapshot } = await import('../../capture/remote.js');

    say(wrap('heapy demo: a market-data service with a memory problem, examined live.'));
    const { child, pid } = await startService();
    say(wrap(`Started examples/market-data/service.mjs as pid ${pid}; it knows nothing about heapy.`));
    say(`Letting it run for ${formatDuration(waitMs)}...`);
    await new Promise((r) => setTimeout(r, waitMs));
    let attachment: Awaited<ReturnType<typeof attachTarget>> | undefined;
    try {
      say(`$ heapy attach ${pid}      (SIGUSR1 opens its inspector on 127.0.0.1)`);
      attachment = await attachTarget(String(pid));
      const first = await takeSnapshot(attachment.session, { gc: true, guard: { pid: attachment.inspector.pid } });
      const heap = HeapSet.all(first);

      heading('the heap by kind: heap = .heap');
      say(fit(String(heap)));

      const stores = rowOf(heap, 'properties of NanoTime');
      if (stores >= 0) {
        heading(`NanoTime's property stores: heap[${stores}].bySize`);
        say(fit(String(heap.at(stores).bySize)));
        const objects = rowOf(heap, 'NanoTime');
        if (objects >= 0) {
          say();
          say(`heap[${objects}].bySize: the NanoTime objects themselves`);
          say(fit(String(heap.at(objects).bySize)));
        }
        const hint = heap.hints().hints.find((h) => /properties/.test(h.rule) && h.title.includes('NanoTime'));
        say();
        say('heap.hints() says:');
        if (hint) {
          say(wrap(`  ${hint.title}`, '  '));
          say(wrap(`  fix: ${hint.advice}`, '       '));
        } else {
          say(wrap('  Fields added after construction live in a separate property store; assign every field in the constructor.'));
        }
      }

      const trades = rowOf(heap, 'TradeMessage');
      if (trades >= 0) {
        const t = heap.at(trades);
        heading(`TradeMessage keeps growing: trades = heap[${trades}]`);
        say('trades.byReferrers');
        say(fit(String(t.byReferrers)));
        say();
        // The largest referrer row is where the messages pile up; a lone message can sit on the
        // stack (or half-built) at the moment of the snapshot, so the demo follows the big row.
        const held = t.byReferrers.at(0);
        say('trades.byReferrers[0].byId.at(0).sp');
        const path = String(held.byId.at(0).sp);
        say(wrapPath(path));
        if (/\._queue\.messages\[/.test(path)) {
          say(wrap(`The messages (${held.count.toLocaleString('en-US')} of them) sit in the publisher queue, waiting for a flush that never comes.`));
        }
      }

      const gap = 2;
      heading(`what changed in ${gap} s: later.diff(heap)`);
      await new Promise((r) => setTimeout(r, gap * 1000));
      const second = await takeSnapshot(attachment.session, { gc: true, guard: { pid: attachment.inspector.pid } });
      const later = HeapSet.all(second);
      const diff = String(later.diff(heap)).split('\n');
      // The summary and the first rows of the table fit a screen; the rest is in the report.
      const cut = diff.findIndex((l, i) => i > 0 && l.startsWith(' Index')) + 9;
      say(fit(diff.slice(0, cut > 8 ? cut : 16).join('\n')));

      heading('a report to look at');
      const { assembleReport } = await import('../../report/build.js');
      const { renderReportHtml } = await import('../../report/html.js');
      const { writeFileAtomic } = await import('../../report/files.js');
      const data = await assembleReport({
        snapshots: [
          { source: `pid ${pid} at ${formatDuration(waitMs)}`, snapshot: first },
          { source: `pid ${pid} at ${formatDuration(waitMs + gap * 1000)}`, snapshot: second },
        ],
      });
      const out = join(tmpdir(), `heapy-demo-${pid}.html`);
      writeFileAtomic(out, renderReportHtml(data));
      say(wrapPath(`Wrote ${out}`));
      say('Open it in a browser: tables by every relation, a treemap, paths, the diff.');
    } finally {
      if (attachment) {
        await attachment.detach();
        say();
        say(wrap(`Detached from pid ${pid} (heapy closed the inspector it opened).`));
      }
      child.kill('SIGTERM');
    }
    say('Stopped the service. Done.');
    return ExitCode.ok;
  },
};
