// One consistent CLI (issue 19), end to end through the real `heapy` binary: option errors in one
// message form, command-name suggestions, one help layout, and recordings named by their number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ExitCode } from '../src/errors.js';
import { cliPath } from './helpers/snapshots.js';

function heapy(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, ...(cwd ? { cwd } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('option errors read like the validators’ messages and point at the command’s help', () => {
  const cases: [string[], string][] = [
    // A value starting with '-' is the value of an option that takes one, so it reaches the validator.
    [['summary', 'x.heapsnapshot', '--top', '-3'], "heapy: --top: expected a whole number of at least 0, got '-3' (see 'heapy summary --help')"],
    [['alloc', '-n', '-3', '1'], "heapy: --top: expected a whole number of at least 1, got '-3' (see 'heapy alloc --help')"],
    [['summary', '--bogus'], "heapy: unknown option '--bogus' (see 'heapy summary --help')"],
    [['plot', '-x'], "heapy: unknown option '-x' (see 'heapy plot --help')"],
    [['summary', 'x.heapsnapshot', '--top'], "heapy: --top: expected a value (see 'heapy summary --help')"],
    [['list', '--json=yes'], "heapy: --json: takes no value, got 'yes' (see 'heapy list --help')"],
    [['run', '--bogus', '--', 'true'], "heapy: unknown option '--bogus' (see 'heapy run --help')"],
    [['run', '--no-quiet', '--', 'true'], "heapy: unknown option '--no-quiet' (see 'heapy run --help')"],
    [['ps', '--bogus'], "heapy: unknown option '--bogus' (see 'heapy ps --help')"],
    [['connect', '--bogus'], "heapy: unknown option '--bogus' (see 'heapy connect --help')"],
  ];
  for (const [args, message] of cases) {
    const r = heapy(args);
    assert.equal(r.err, message + '\n', args.join(' '));
    assert.equal(r.code, ExitCode.usage, args.join(' '));
  }
});

test('a mistyped command gets a suggestion; heapy help <command> prints its help', () => {
  const cases: [string, string][] = [
    ['sumary', "heapy: unknown command 'sumary'; did you mean 'summary'? (see 'heapy help')"],
    ['snpashot', "heapy: unknown command 'snpashot'; did you mean 'snapshot'? (see 'heapy help')"],
    ['rep', "heapy: unknown command 'rep'; did you mean 'repl'? (see 'heapy help')"],
    ['moni', "heapy: unknown command 'moni'; did you mean 'monitor'? (see 'heapy help')"],
    ['xyzzy', "heapy: unknown command 'xyzzy' (see 'heapy help')"],
  ];
  for (const [name, message] of cases) {
    const r = heapy([name]);
    assert.equal(r.err, message + '\n', name);
    assert.equal(r.code, ExitCode.usage, name);
  }
  const viaHelp = heapy(['help', 'summary']);
  const viaFlag = heapy(['summary', '--help']);
  assert.equal(viaHelp.code, 0, viaHelp.err);
  assert.match(viaHelp.out, /^usage: heapy summary /);
  assert.equal(viaHelp.out, viaFlag.out);
  const nosuch = heapy(['help', 'nosuch']);
  assert.equal(nosuch.code, ExitCode.usage);
  assert.equal(nosuch.out, '');
  assert.equal(nosuch.err, "heapy: unknown command 'nosuch' (see 'heapy help')\n");
});

/** An option as a help text documents it: `-o, --output <file>   text`. */
interface DocumentedOption {
  flag: string;
  short: string | undefined;
  takesValue: boolean;
}

/** Checks the one help layout and returns the options its `Options:` section documents. */
function helpLayout(name: string, text: string): DocumentedOption[] {
  const lines = text.replace(/\n$/, '').split('\n');
  let i = 0;
  assert.match(lines[i++]!, new RegExp(`^usage: heapy ${name}( |$)`), `${name}: first line`);
  while (lines[i]?.startsWith('       heapy ')) i++;
  assert.equal(lines[i++], '', `${name}: a blank line after the usage lines`);
  assert.match(lines[i++] ?? '', /^\S/, `${name}: a description after the usage lines`);
  const at = lines.indexOf('Options:');
  assert.equal(lines.lastIndexOf('Options:'), at, `${name}: one Options: section`);
  if (at < 0) return [];
  assert.ok(at > i && lines[at - 1] === '', `${name}: a blank line before Options:`);
  const documented: DocumentedOption[] = [];
  let column: number | undefined;
  for (i = at + 1; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i]!;
    const m = /^  (?:-(\w), |    )--([\w-]+)( <[^>]+>)? {2,}(?=\S)/.exec(line);
    if (m) {
      column ??= m[0].length;
      assert.equal(m[0].length, column, `${name}: option text aligned: ${JSON.stringify(line)}`);
      documented.push({ flag: m[2]!, short: m[1], takesValue: m[3] !== undefined });
    } else {
      assert.ok(column !== undefined && line.length > column && line.slice(0, column).trim() === '' && line[column] !== ' ', `${name}: option line or aligned continuation: ${JSON.stringify(line)}`);
    }
  }
  assert.ok(documented.length > 0, `${name}: Options: lists options`);
  // Anything after the options is a further titled section (Environment: ...).
  for (; i < lines.length; i++) {
    if (lines[i] === '') assert.match(lines[i + 1] ?? '', /^[A-Z][\w ]*:$/, `${name}: a titled section after the options`);
  }
  return documented;
}

test('every command’s help has one layout and documents exactly the options it accepts', async () => {
  const { commandNames } = await import('../src/cli/main.js');
  const summaries = heapy(['help']).out;
  for (const name of commandNames) {
    const { command } = (await import(`../src/cli/commands/${name}.js`)) as { command: import('../src/cli/main.js').CommandModule };
    assert.match(command.summary, /^[a-z].*[^.]$/, `${name}: summary starts lower-case, no trailing period`);
    assert.ok(summaries.includes(`  ${name.padEnd(10)} ${command.summary}\n`), `${name} listed in heapy help`);
    const r = heapy([name, '--help']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, command.usage + '\n');
    const documented = helpLayout(name, r.out);
    // What parseCommandArgs accepts: every table entry, a boolean defaulting to true as --no-<name>.
    const accepted = Object.entries(command.options).map(([flag, o]): DocumentedOption => ({
      flag: o.type === 'boolean' && o.default === true ? `no-${flag}` : flag,
      short: o.short,
      takesValue: o.type === 'string',
    }));
    const key = (o: DocumentedOption): string => `${o.short ? `-${o.short}, ` : ''}--${o.flag}${o.takesValue ? ' <value>' : ''}`;
    assert.deepEqual(documented.map(key).sort(), accepted.map(key).sort(), `${name}: documented options = accepted options`);
  }
  assert.match(heapy(['path', '--help']).out, /\n {6}--json {2,}/, 'path documents --json');
});
