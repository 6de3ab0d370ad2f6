// One consistent CLI (issue 19), end to end through the real `heapy` binary: option errors in one
// message form, command-name suggestions, one help layout, and recordings named by their number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('plot, peak and rm take the number heapy list prints; clean removes only recordings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapy-rm-'));
  // Two real recordings, started one after the other so that the list order is a, b.
  for (const name of ['heapy-run-a.dat', 'heapy-run-b.dat']) {
    const r = heapy(['run', '-q', '-o', name, '--', process.execPath, '-e', `setTimeout(() => {}, 200); // ${name}`], dir);
    assert.equal(r.code, 0, r.err);
  }
  // Files a careless clean would take: a heapy-*.dat name without the header, and another file.
  writeFileSync(join(dir, 'heapy-run-fake.dat'), 'not a recording\n');
  writeFileSync(join(dir, 'notes.txt'), 'keep me\n');
  const list = heapy(['list'], dir);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^ {2}0 {2}heapy-run-a\.dat .*\n {2}1 {2}heapy-run-b\.dat /);

  const peak = heapy(['peak', '1'], dir);
  assert.equal(peak.code, 0, peak.err);
  assert.match(peak.out, /heapy-run-b\.dat: .*heapy-run-b\.dat\n/, 'peak 1 is the second recording');
  const plot = heapy(['plot', '0', '-o', 'a.svg'], dir);
  assert.equal(plot.code, 0, plot.err);
  assert.match(plot.out, /a\.svg \(\d+ series\)/);
  const none = heapy(['plot', '7'], dir);
  assert.equal(none.code, ExitCode.fileNotFound);
  assert.equal(none.err, `heapy: no recording 7 in ${dir} ('heapy list' shows 0 to 1)\n`);

  // rm refuses a file that is not a recording, and then removes nothing.
  const refused = heapy(['rm', '0', 'notes.txt'], dir);
  assert.equal(refused.code, ExitCode.badInput);
  assert.match(refused.err, /notes\.txt: not a heapy recording .*nothing removed/);
  assert.ok(existsSync(join(dir, 'heapy-run-a.dat')));
  const noArgs = heapy(['rm'], dir);
  assert.equal(noArgs.code, ExitCode.usage);

  const rm = heapy(['rm', '1'], dir);
  assert.equal(rm.code, 0, rm.err);
  assert.equal(rm.out, 'removed heapy-run-b.dat\n');
  heapy(['run', '-q', '-o', 'heapy-run-c.dat', '--', process.execPath, '-e', '0'], dir);
  const clean = heapy(['clean'], dir);
  assert.equal(clean.code, 0, clean.err);
  assert.equal(clean.out, 'removed heapy-run-a.dat\nremoved heapy-run-c.dat\n');
  assert.deepEqual(readdirSync(dir).sort(), ['a.svg', 'heapy-run-fake.dat', 'notes.txt']);
  assert.equal(heapy(['clean'], dir).out, `no heapy data files in ${dir}\n`);
  rmSync(dir, { recursive: true });
});

test('every duration option takes 500ms, 2s, 1m and a bare number of seconds, and rejects junk in one form', async () => {
  const { commandNames } = await import('../src/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'heapy-durations-'));
  const nopid = '999999999';
  // Each duration option with arguments that get past option parsing and then fail fast (no such
  // pid) or finish at once (run's child exits): only a bad duration is a usage error here.
  const cases: Record<string, (value: string) => string[]> = {
    'alloc --duration': (v) => ['alloc', '-d', v, nopid],
    'alloc --every': (v) => ['alloc', '--watch', '-e', v, nopid],
    'attach --timeout': (v) => ['attach', nopid, '--timeout', v],
    'demo --wait': (v) => ['demo', '--wait', v],
    'heap --timeout': (v) => ['heap', nopid, '--timeout', v],
    'leaks --interval': (v) => ['leaks', '--pid', nopid, '--interval', v],
    'leaks --timeout': (v) => ['leaks', '--pid', nopid, '--timeout', v],
    'monitor --interval': (v) => ['monitor', nopid, '-i', v],
    'monitor --profile-for': (v) => ['monitor', nopid, '--snapshot-at', '1GiB', '--profile-for', v],
    'monitor --duration': (v) => ['monitor', nopid, '-d', v],
    'run --interval': (v) => ['run', '-q', '-i', v, '-o', join(dir, `r-${v}.dat`), '--', process.execPath, '-e', '0'],
    'snapshot --interval': (v) => ['snapshot', nopid, '--interval', v],
    'snapshot --timeout': (v) => ['snapshot', nopid, '--timeout', v],
  };
  // The table covers every option whose help says it takes a <time>, and every such help ends
  // with the one Durations: section.
  const documented: string[] = [];
  for (const name of commandNames) {
    const help = heapy([name, '--help']).out;
    const flags = [...help.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+) <time>/gm)].map((m) => `${name} --${m[1]}`);
    documented.push(...flags);
    if (flags.length > 0) assert.ok(help.endsWith('\n\nDurations:\n  500ms, 30s, 2m or 1h; a bare number is seconds\n'), `${name}: Durations: section`);
  }
  assert.deepEqual(documented.sort(), Object.keys(cases).sort());

  const runAsync = (args: string[]) =>
    new Promise<{ code: number | null; err: string }>((done) => {
      const child = spawn(process.execPath, [cliPath, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('close', (code) => done({ code, err }));
    });
  const jobs: { label: string; args: string[]; check(r: { code: number | null; err: string }): void }[] = [];
  let k = 0;
  for (const [label, make] of Object.entries(cases)) {
    const [command, flag] = label.split(' ') as [string, string];
    // demo with a valid --wait runs the whole tour; test/demo.test.ts runs it with `--wait 2s`.
    for (const good of command === 'demo' ? [] : ['500ms', '2s', '1m', '2']) {
      jobs.push({
        label: `${label} ${good}`,
        args: make(good),
        check: (r) => {
          assert.notEqual(r.code, ExitCode.usage, `${label} ${good}: ${r.err}`);
          assert.ok(!r.err.includes(flag), `${label} ${good}: ${r.err}`);
        },
      });
    }
    const junk = ['soon', '0', '-1s', '2 parsecs', '1e3', '5d'][k++ % 6]!;
    jobs.push({
      label: `${label} ${junk}`,
      args: make(junk),
      check: (r) => {
        assert.equal(r.code, ExitCode.usage, `${label} ${junk}: ${r.err}`);
        assert.equal(r.err, `heapy: ${flag}: expected a duration above zero (500ms, 30s, 2m or 1h; a bare number is seconds), got '${junk}' (see 'heapy ${command} --help')\n`);
      },
    });
  }
  // Four at a time: each is a short-lived heapy process.
  for (let i = 0; i < jobs.length; i += 4) {
    const batch = jobs.slice(i, i + 4);
    const results = await Promise.all(batch.map((j) => runAsync(j.args)));
    batch.forEach((j, n) => j.check(results[n]!));
  }
  // Limits use the same form; a bare number that fits only as milliseconds says so.
  const slip = heapy(['heap', nopid, '--timeout', '5000']);
  assert.equal(slip.code, ExitCode.usage);
  assert.equal(slip.err, "heapy: --timeout: expected a duration from 1 ms to 10 min, got '5000' (a bare number is seconds; write 5000ms for milliseconds) (see 'heapy heap --help')\n");
  const fast = heapy(['monitor', nopid, '-i', '5ms']);
  assert.equal(fast.err, "heapy: --interval: expected a duration of at least 10 ms, got '5ms' (see 'heapy monitor --help')\n");
  rmSync(dir, { recursive: true });
});
