// `heapy connect` against a real app with a manhole: typed into a real terminal (tmux), read back
// from the screen (capture-pane), and piped like nc.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/snapshots.js';
import { ExitCode } from '../src/errors.js';
import { lastLine, tmuxServer } from './helpers/tmux.js';

const appPath = join(repoRoot, 'test', 'programs', 'manhole-app.mjs');
const term = tmuxServer(`heapy-manhole-test-${process.pid}`);
const tmux = term.run;
const { screen, keys, waitScreen } = term;

interface App {
  child: ChildProcess;
  port?: number;
  path?: string;
  stop: () => Promise<void>;
}

function startApp(env: Record<string, string>): Promise<App> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`app exited with ${code}: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as { port?: number; path?: string };
      resolve({
        child,
        ...info,
        stop: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Starts `heapy connect <target>` in a new tmux window; the shell prints EXIT=<code> when it ends. */
function openTerminal(name: string, target: string, env: Record<string, string>): void {
  const vars = Object.entries(env)
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', `${vars} '${process.execPath}' '${cliPath}' connect '${target}'; echo EXIT=$?; sleep 60`);
}

describe('heapy connect in a terminal', () => {
  let app: App;
  let dir: string;
  let history: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heapy-connect-'));
    history = join(dir, 'history');
    app = await startApp({ MANHOLE_PORT: '0' });
  });
  after(async () => {
    term.kill();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('banner, values, tab completion, Ctrl-C, Ctrl-D, history kept across sessions', async () => {
    const t = 'one';
    openTerminal(t, String(app.port), { HEAPY_HISTORY: history });
    await waitScreen(t, (s) => s.includes('Namespace:') && lastLine(s) === '>', 'banner and prompt');

    keys(t, 'state.greeting', 'Enter');
    await waitScreen(t, (s) => s.includes("'hello from the app'") && lastLine(s) === '>', 'a namespace value');

    // Tab completes a name from the app's namespace (typed slowly enough for one round trip).
    keys(t, 'state.gre');
    await waitScreen(t, (s) => lastLine(s) === '> state.gre', 'typed prefix');
    keys(t, 'Tab');
    await waitScreen(t, (s) => lastLine(s) === '> state.greeting', 'completed name');
    keys(t, 'C-u');

    keys(t, 'await slow(100, "awaited")', 'Enter');
    await waitScreen(t, (s) => s.includes("'awaited'") && lastLine(s) === '>', 'an awaited value');

    // Ctrl-C drops the line being typed: it is never evaluated.
    keys(t, 'notDefinedAnywhere');
    await waitScreen(t, (s) => lastLine(s) === '> notDefinedAnywhere', 'typed junk');
    keys(t, 'C-c');
    keys(t, '6 * 7', 'Enter');
    let s = await waitScreen(t, (x) => /^42$/m.test(x) && lastLine(x) === '>', 'answer after Ctrl-C');
    assert.ok(s.includes('> notDefinedAnywhere^C'), s);
    assert.doesNotMatch(s, /ReferenceError/);

    // Ctrl-C while a command runs stops waiting for it.
    keys(t, 'await slow(20000)', 'Enter');
    await waitScreen(t, (x) => lastLine(x) === '> await slow(20000)', 'running command');
    const t0 = Date.now();
    keys(t, 'C-c');
    s = await waitScreen(t, (x) => x.includes('interrupted (the command may still be running in the app)') && lastLine(x) === '>', 'interrupt');
    assert.ok(Date.now() - t0 < 3000);

    // Ctrl-D leaves with status 0.
    keys(t, 'C-d');
    await waitScreen(t, (x) => x.includes('EXIT=0'), 'exit status 0');
    const saved = readFileSync(history, 'utf8').trim().split('\n');
    assert.deepEqual(saved.slice(-3), ['await slow(100, "awaited")', '6 * 7', 'await slow(20000)']);
    assert.equal(statSync(history).mode & 0o777, 0o600);
    assert.ok(!saved.includes('notDefinedAnywhere'), 'a cancelled line is not history');

    // A new session starts with that history: Up shows the last command.
    const t2 = 'two';
    openTerminal(t2, String(app.port), { HEAPY_HISTORY: history });
    await waitScreen(t2, (x) => lastLine(x) === '>', 'second session prompt');
    keys(t2, 'Up');
    await waitScreen(t2, (x) => lastLine(x) === '> await slow(20000)', 'history recalled');
    keys(t2, 'C-u', '.exit', 'Enter');
    await waitScreen(t2, (x) => x.includes('EXIT=0'), '.exit leaves with status 0');
  });
});

describe('heapy connect with a token over a Unix socket', () => {
  let app: App;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heapy-connect-'));
    app = await startApp({ MANHOLE_PATH: join(dir, 'm.sock'), MANHOLE_TOKEN: 'hunter2' });
  });
  after(async () => {
    term.kill();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('asks for the token without echoing it, then opens the REPL', async () => {
    const t = 'tok';
    openTerminal(t, app.path!, { HEAPY_HISTORY: join(dir, 'h') });
    await waitScreen(t, (s) => lastLine(s) === 'manhole token:', 'token prompt');
    keys(t, 'hunter2', 'Enter');
    await waitScreen(t, (s) => s.includes('Namespace:') && lastLine(s) === '>', 'banner after the token');
    keys(t, 'counter.value > 0', 'Enter');
    const s = await waitScreen(t, (x) => /^true$/m.test(x), 'a value');
    assert.ok(!s.includes('hunter2'), 'the token is not shown');
    keys(t, 'C-d');
    await waitScreen(t, (x) => x.includes('EXIT=0'), 'exit');
    assert.ok(!readFileSync(join(dir, 'h'), 'utf8').includes('hunter2'), 'the token is not in the history');
  });

  test('a wrong token ends with the auth-failed status', async () => {
    const t = 'bad';
    openTerminal(t, app.path!, { HEAPY_HISTORY: join(dir, 'h2') });
    await waitScreen(t, (s) => lastLine(s) === 'manhole token:', 'token prompt');
    keys(t, 'wrong', 'Enter');
    const s = await waitScreen(t, (x) => x.includes('EXIT='), 'exit');
    assert.match(s, /heapy: .*m\.sock rejected the token/);
    assert.ok(s.includes(`EXIT=${ExitCode.authFailed}`), s);
    assert.equal(existsSync(join(dir, 'h2')), false);
  });

  test('piped input works like nc; the token can come from HEAPY_MANHOLE_TOKEN', () => {
    const out = execFileSync(process.execPath, [cliPath, 'connect', app.path!], {
      input: 'state.items\nawait slow(20, "later")\n',
      env: { ...process.env, HEAPY_MANHOLE_TOKEN: 'hunter2' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.match(out, /^heapy manhole: manhole-app\.mjs/);
    assert.match(out, /> \[ 1, 2, 3 \]\n> 'later'\n> \n$/);
    assert.doesNotMatch(out, /\u0000/);
  });

  test('nothing listening is a typed error', () => {
    try {
      execFileSync(process.execPath, [cliPath, 'connect', join(dir, 'nothing.sock')], { encoding: 'utf8', stdio: 'pipe' });
      assert.fail('connect should fail');
    } catch (err) {
      const e = err as { status: number; stderr: string };
      assert.equal(e.status, ExitCode.addressUnavailable);
      assert.match(e.stderr, /^heapy: cannot connect to .*nothing\.sock: no manhole listens there\n$/);
    }
  });
});
