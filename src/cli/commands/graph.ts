/**
 * `heapy graph <file> --id N`: objgraph's show_backrefs as a DOT or SVG file (SVG rendered by
 * Graphviz in WebAssembly, no system binary).
 */
import { extname, resolve } from 'node:path';
import { ExitCode, HeapyError } from '../../errors.js';
import { writeOutputFile } from '../output.js';
import { printJson } from '../json.js';
import { backrefGraph, HeapGraph } from '../../analyses/graph.js';
import { HeapSet } from '../../api/index.js';
import type { CommandModule } from '../main.js';
import { type CommandOptions, loadWithProgress, parseCommandArgs, wholeNumber } from '../args.js';

const usage = `usage: heapy graph <file.heapsnapshot> (--id <id>... | --kind <name>) [options]

Draws who refers to an object: its referrers, their referrers and so on (objgraph's show_backrefs).
Boxes show the kind, a short preview and the retained size; edges the property name, index or Map
key; the starting objects are yellow, roots grey octagons; past --too-many referrers the rest are
one "+N more" box. Backing stores are folded into their owners.

Options:
      --id <id>         start from this V8 object id (repeat for several)
      --kind <name>     start from the largest objects of a kind (by retained size), --limit of them
  -o, --output <file>   write SVG (.svg) or DOT (.dot); without -o, DOT goes to stdout
      --depth <n>       referrer levels to follow (default 5)
      --max-nodes <n>   at most n boxes (default 60)
      --too-many <n>    referrers shown per object (default 8)
      --limit <n>       objects to start from with --kind (default 3)
      --json            print the graph as JSON (nodes, edges) instead of DOT`;

const optionTable = {
  id: { type: 'string', multiple: true },
  kind: { type: 'string' },
  output: { type: 'string', short: 'o' },
  depth: { type: 'string', default: '5' },
  'max-nodes': { type: 'string', default: '60' },
  'too-many': { type: 'string', default: '8' },
  limit: { type: 'string', default: '3' },
  json: { type: 'boolean', default: false },
} satisfies CommandOptions;

/** `heapy graph`. */
export const command: CommandModule = {
  summary: 'back-reference graph of objects (objgraph show_backrefs) as SVG or DOT',
  usage,
  options: optionTable,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('graph', argv, optionTable);
    const ids = values.id ?? [];
    if (positionals.length !== 1 || (ids.length === 0) === (values.kind === undefined)) {
      throw new HeapyError(`graph takes one snapshot file and either --id or --kind (see 'heapy graph --help')`, ExitCode.usage);
    }
    const out = values.output;
    if (values.json && out !== undefined) throw new HeapyError(`--json prints to stdout; it does not go with -o`, ExitCode.usage);
    const format = out === undefined ? 'dot' : extname(out).toLowerCase().slice(1);
    if (format !== 'svg' && format !== 'dot') throw new HeapyError(`-o must name a .svg or .dot file, not '${out}'`, ExitCode.usage);
    const options = { depth: wholeNumber('--depth', values.depth, 1), maxNodes: wholeNumber('--max-nodes', values['max-nodes'], 1), tooMany: wholeNumber('--too-many', values['too-many'], 1) };
    const limit = wholeNumber('--limit', values.limit, 1);
    const file = positionals[0]!;
    const snap = await loadWithProgress(file);
    let starts: number[];
    let title: string;
    if (ids.length > 0) {
      starts = ids.map((text) => {
        const id = Number(text.replace(/^@/, ''));
        const ord = Number.isInteger(id) ? snap.ordinalOfId(id) : -1;
        if (ord < 0) throw new HeapyError(`${file}: no object with id ${text}`, ExitCode.badInput);
        return ord;
      });
      title = `referrers of ${ids.map((i) => `@${i.replace(/^@/, '')}`).join(', ')}`;
    } else {
      const all = HeapSet.all(snap);
      const row = all.partition.rows.findIndex((r) => r.label === values.kind);
      if (row < 0) throw new HeapyError(`${file}: no objects of kind '${values.kind}'`, ExitCode.badInput);
      starts = Array.from(all.at(row).ordinals)
        .sort((a, b) => snap.retainedSize[b]! - snap.retainedSize[a]! || a - b)
        .slice(0, limit);
      title = `referrers of the ${starts.length} largest ${values.kind}`;
    }
    const g = new HeapGraph(backrefGraph(snap, starts, { ...options, maxStarts: starts.length }), title);
    if (values.json) {
      printJson('graph', { file, title, ...g.data });
      return ExitCode.ok;
    }
    const text = format === 'svg' ? await g.svg() : g.dot;
    if (out === undefined) {
      process.stdout.write(text);
      return ExitCode.ok;
    }
    writeOutputFile(out, text);
    const n = g.data.nodes.filter((x) => x.more === undefined).length;
    process.stderr.write(`heapy: ${n} objects, ${g.data.edges.length} edges${g.data.truncated ? ' (cut at --max-nodes)' : ''} -> ${resolve(out)}\n`);
    return ExitCode.ok;
  },
};
