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
