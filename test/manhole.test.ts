// The manhole server, driven the way the seed's team uses aiomanhole: a real app process with
// startManhole, and real `nc` and `socat` (Debian's netcat-openbsd and socat) typing into it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { cliPath, repoRoot } from './helpers/snapshots.js';
import { startManhole } from '../src/manhole/index.js';
import { splitStatements, transformTopLevelAwait } from '../src/util/await-transform.js';
import { ExitCode, HeapyError } from '../src/errors.js';

const appPath = join(repoRoot, 'test', 'programs', 'manhole-app.mjs');
const hpyBuilt = existsSync(join(repoRoot, 'dist', 'src', 'api', 'hpy.js'));

interface App {
  child: ChildProcess;
  http: number;
  port?: number;
  path?: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts test/programs/manhole-app.mjs with the given environment; resolves once it listens. */
function startApp(env: Record<string, string>): Promise<App> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => reject(new Error(`app did not start: ${err}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`app exited with ${code}: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const info = JSON.parse(out.slice(0, nl)) as { http: number; port?: number; path?: string };
      resolve({
        child,
        ...info,
        stderr: () => err,
        stop: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      });
    });
  });
}

interface Run {
  stdout: string;
  code: number | null;
}

/** Runs a command with `input` on stdin; resolves with its output when it exits (killed after timeoutMs). */
function run(cmd: string, args: string[], input: string, timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, code });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** `printf input | nc -N 127.0.0.1 port`: nc sends its input, half-closes, prints everything. */
const nc = (port: number, input: string, timeoutMs?: number) => run('nc', ['-N', '127.0.0.1', String(port)], input, timeoutMs);
const ncUnix = (path: string, input: string) => run('nc', ['-N', '-U', path], input);
const socatTcp = (port: number, input: string) => run('socat', ['-t', '10', '-', `TCP:127.0.0.1:${port}`], input);
const socatUnix = (path: string, input: string) => run('socat', ['-t', '10', '-', `UNIX-CONNECT:${path}`], input);

/** GET / of the app: its counter, which a timer moves every 10 ms. */
function httpCounter(port: number): Promise<{ value: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ value: Number(body), ms: performance.now() - t0 }));
      })
      .on('error', reject)
      .on('timeout', () => reject(new Error('HTTP timeout')));
  });
}

/** The REPL's answers, one per prompt: splits the transcript on the "> " prompts. */
function answers(transcript: string): string[] {
  const start = transcript.indexOf('\n\n> ');
  const body = start >= 0 ? transcript.slice(start + 2) : transcript;
  return body
    .split(/^> |\n> /m)
    .map((s) => s.replace(/\n$/, ''))
    .filter((s, i) => i > 0 || s !== '');
}

describe('manhole over TCP with nc and socat', () => {
  let app: App;
  before(async () => {
    app = await startApp({ MANHOLE_PORT: '0', MANHOLE_TIMEOUT_MS: '300', MANHOLE_INSECURE_NO_TOKEN: '1' });
  });
  after(async () => {
    await app.stop();
  });

  test('banner lists the namespace; values, awaited promises, declarations and _ work', async () => {
    const r = await nc(
      app.port!,
      [
        'state.greeting',
        'await slow(50, 6 * 7)',
        'const got = await slow(10, { a: 1 }); got',
        'got.a + 1',
        '_ * 10',
        'const { x, y } = await Promise.resolve({ x: 2, y: 3 })',
        'x * y',
        'counter.value > 0',
        '',
      ].join('\n'),
    );
    assert.match(r.stdout, /^heapy manhole: manhole-app\.mjs, pid \d+, node v\d+/);
    assert.match(r.stdout, /Namespace:\n\tcounter\n\tstate\n\tslow\n\tserver\n/);
    assert.deepEqual(answers(r.stdout).slice(0, 8), ["'hello from the app'", '42', '{ a: 1 }', '2', '20', 'undefined', '6', 'true']);
  });

  test('multi-line input, object literals, function declarations', async () => {
    const r = await socatTcp(app.port!, ['function add(a, b) {', '  return a + b', '}', 'add(2, 3)', '{ k: [1,', '2] }', '`two', 'lines`', ''].join('\n'));
    const a = answers(r.stdout);
    assert.ok(a.includes('5'), r.stdout);
    assert.ok(a.some((s) => s.endsWith('{ k: [ 1, 2 ] }')), r.stdout);
    assert.ok(a.some((s) => s.endsWith("'two\\nlines'")), r.stdout);
  });

  test('errors (sync, awaited, async) print with their stack to that client only; console goes to the client', async () => {
    const r = await nc(
      app.port!,
      [
        'throw new TypeError("sync boom")',
        'await Promise.reject(new RangeError("awaited boom"))',
        'setTimeout(() => { throw new Error("timer boom") }, 5); void 0',
        'await slow(50)',
        'Promise.reject(new Error("unhandled")); void 0',
        'await slow(50)',
        'console.log("printed", 1 + 1)',
        'state.greeting',
        '',
      ].join('\n'),
    );
    assert.match(r.stdout, /Uncaught TypeError: sync boom\n {4}at REPL\d+:1:7/);
    assert.match(r.stdout, /Uncaught RangeError: awaited boom\n {4}at REPL\d+/);
    assert.match(r.stdout, /Uncaught Error: timer boom/);
    assert.match(r.stdout, /Uncaught Error: unhandled/);
    assert.match(r.stdout, /printed 2\n/);
    // The internals between the user's code and the REPL are not shown.
    assert.doesNotMatch(r.stdout, /runInContext|evaluate\.js|session\.js/);
    assert.match(r.stdout, /'hello from the app'/);
    assert.equal(app.child.exitCode, null, 'the app is alive');
    assert.doesNotMatch(app.stderr(), /boom|printed/, 'nothing reached the app stderr');
  });

  test('a synchronous infinite loop is cut off after commandTimeoutMs and the app keeps serving', async () => {
    const before = await httpCounter(app.http);
    const t0 = performance.now();
    const r = await nc(app.port!, 'while (true) {}\ncounter.value\n');
    const elapsed = performance.now() - t0;
    assert.match(r.stdout, /Uncaught Error: command cut off after 300 ms \(commandTimeoutMs\)/);
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    const afterLoop = await httpCounter(app.http);
    assert.ok(afterLoop.value > before.value, `counter moved: ${before.value} -> ${afterLoop.value}`);
    const value = Number(answers(r.stdout)[1]);
    assert.ok(value >= before.value, r.stdout);
  });

  test('a client that vanishes mid-command or mid-output leaves the app serving', async () => {
    const kill = (input: string, afterMs: number) =>
      new Promise<void>((resolve) => {
        const child = spawn('nc', ['127.0.0.1', String(app.port)], { stdio: ['pipe', 'ignore', 'ignore'] });
        child.stdin.write(input);
        setTimeout(() => child.kill('SIGKILL'), afterMs);
        child.on('exit', () => resolve());
      });
    await kill('await slow(300, 1)\n', 50);
    await kill('for (let i = 0; i < 2000; i++) console.log("x".repeat(1000))\n', 30);
    await kill('{ unfinished: \n', 30);
    await new Promise((r) => setTimeout(r, 400));
    const h = await httpCounter(app.http);
    assert.ok(h.ms < 1000, `HTTP answered in ${h.ms} ms`);
    const r = await nc(app.port!, 'state.items.length\n');
    assert.deepEqual(answers(r.stdout).slice(0, 1), ['3']);
    assert.equal(app.child.exitCode, null);
  });

  test('a flood of input is throttled: the app answers HTTP meanwhile and every line is evaluated', async () => {
    // Each command costs about 0.4 ms of the manhole's time (vm's timeout starts a watchdog
    // thread per run), so 3000 lines keep the app busy for over a second.
    const lines = 3000;
    const input = 'let n = 0\n' + 'n++\n'.repeat(lines) + 'n\n';
    const flood = nc(app.port!, input, 60_000);
    // Sample HTTP latency while the flood is being evaluated.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 50));
      latencies.push((await httpCounter(app.http)).ms);
    }
    const r = await flood;
    const a = answers(r.stdout).filter((x) => x !== '');
    assert.equal(a.length, lines + 2, r.stdout.slice(-200));
    assert.equal(a[a.length - 1], String(lines), r.stdout.slice(-200));
    assert.ok(Math.max(...latencies) < 1000, `HTTP latencies during the flood: ${latencies.map((x) => x.toFixed(0)).join(', ')} ms`);
  });

  test('a client that does not read its output is dropped, not buffered without end', async () => {
    const sock = net.connect({ port: app.port!, host: '127.0.0.1' });
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    // 48 MiB of output: more than the 16 MiB the manhole queues plus what the kernel buffers.
    // (After its first await the loop runs outside the command time limit.)
    sock.write('for (let i = 0; i < 48; i++) { await null; console.log("y".repeat(1 << 20)) }\n');
    const end = Date.now() + 5000;
    while (!/does not read its output \(\d+ bytes queued\); disconnected/.test(app.stderr()) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    sock.destroy();
    assert.match(app.stderr(), /LOG manhole: 127\.0\.0\.1:\d+ does not read its output \(\d+ bytes queued\); disconnected/);
    assert.deepEqual(answers((await nc(app.port!, '2 + 2\n')).stdout).slice(0, 1), ['4']);
  });

  test('a line over 1 MiB closes that connection only', async () => {
    const r = await nc(app.port!, 'x'.repeat((1 << 20) + 10) + '\n', 20_000);
    assert.ok(r.stdout.endsWith('> \nmanhole: line longer than 1048576 characters; closing\n'), r.stdout.slice(-300));
    assert.match(app.stderr(), /sent a line of over 1048576 characters; disconnected/);
    assert.deepEqual(answers((await nc(app.port!, '1 + 1\n')).stdout).slice(0, 1), ['2']);
  });

  test('50 clients at once each get their own answer and their own namespace copy', async () => {
    const t0 = performance.now();
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => nc(app.port!, `const mine = ${i}\nawait slow(100, mine * 2)\ntypeof got\n`, 20_000)),
    );
    const ms = performance.now() - t0;
    runs.forEach((r, i) => {
      const a = answers(r.stdout);
      assert.equal(a[1], String(i * 2), r.stdout);
      // `got` was declared by another client in the first test: copies are separate.
      assert.equal(a[2], "'undefined'", r.stdout);
    });
    assert.ok(ms < 15_000, `50 clients took ${ms} ms`);
    const h = await httpCounter(app.http);
    assert.ok(h.value > 0);
  });

  test('h = hpy() is ready in the namespace', async () => {
    const r = await nc(app.port!, 'await h.heap()\n_.count > 1000\n', 60_000);
    if (hpyBuilt) {
      const a = answers(r.stdout);
      assert.match(a[0]!, /^Partition of a set of \d+ objects\. Total size = \d+ bytes\.\n Index {2}Count {3}% {5}Size {3}% Cumulative {2}% Kind/, r.stdout);
      assert.equal(a[1], 'true');
    } else {
      assert.match(r.stdout, /hpy\(\) is not available in this manhole/);
    }
  });
});

describe('manhole over a Unix socket with a token', () => {
  let dir: string;
  let app: App;
  let sock: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'heapy-manhole-'));
    sock = join(dir, 'run', 'app.sock');
    app = await startApp({ MANHOLE_PATH: sock, MANHOLE_TOKEN: 'open sesame', MANHOLE_SHARED: '1' });
  });
  after(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is mode 0600 in a directory only the owner can enter', () => {
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    assert.ok(statSync(sock).isSocket());
    assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700);
  });

  test('the right token opens the REPL; a shared namespace is seen by the next client', async () => {
    const r = await socatUnix(sock, 'open sesame\nvar sharedValue = 41\nsharedValue + 1\n');
    assert.match(r.stdout, /^manhole token: heapy manhole:/);
    assert.deepEqual(answers(r.stdout).slice(0, 2), ['undefined', '42']);
    const r2 = await ncUnix(sock, 'open sesame\nsharedValue\n');
    assert.deepEqual(answers(r2.stdout).slice(0, 1), ['41']);
  });

  test('a wrong token closes the connection after one line and is logged', async () => {
    const r = await ncUnix(sock, 'guess\nstate.greeting\n');
    assert.equal(r.stdout, 'manhole token: manhole: wrong token\n');
    assert.match(app.stderr(), /LOG manhole: rejected a wrong token from unix socket/);
  });

  test('a live socket is not replaced; a stale one is; close() removes the socket file', async () => {
    // A second app on the same path: the first one answers there, so it must refuse.
    const second = startApp({ MANHOLE_PATH: sock });
    await assert.rejects(second, /a process is listening on this socket; not replacing it/);
    // A stale socket file (bound, then its listener gone without unlinking).
    const stale = join(dir, 'stale.sock');
    const holder = net.createServer().listen(stale);
    await new Promise((r) => holder.once('listening', r));
    // Closing a listener unlinks its path; a copy of the inode stays via a hard link.
    const { linkSync } = await import('node:fs');
    const keep = join(dir, 'stale-copy.sock');
    linkSync(stale, keep);
    await new Promise((r) => holder.close(r));
    linkSync(keep, stale);
    assert.ok(statSync(stale).isSocket());
    const m = await startManhole({ path: stale, onLog: () => {} });
    const r = await ncUnix(stale, '6 * 7\n');
    assert.deepEqual(answers(r.stdout).slice(0, 1), ['42']);
    await m.close();
    assert.equal(existsSync(stale), false);
    // A regular file in the way is never deleted.
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'data');
    await assert.rejects(startManhole({ path: file }), /exists and is not a socket/);
    assert.equal(existsSync(file), true);
    // The app's own close() (on SIGTERM) removes its socket and the directory it made.
    await app.stop();
    assert.equal(existsSync(sock), false);
    assert.equal(existsSync(join(dir, 'run')), false);
  });

  test('close() removes every directory it made; an app that exits without close() leaves no socket', async () => {
    const nested = join(dir, 'a', 'b', 'c', 'm.sock');
    const m = await startManhole({ path: nested, onLog: () => {} });
    for (const d of ['a', 'a/b', 'a/b/c']) assert.equal(statSync(join(dir, d)).mode & 0o777, 0o700, d);
    await m.close();
    assert.equal(existsSync(join(dir, 'a')), false, 'a directory the manhole made is left');
    // An app that just exits (process.exit, no close()).
    const exiting = join(dir, 'x', 'y', 'm.sock');
    const code = [
      `const { startManhole } = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'manhole', 'index.js'))});`,
      `await startManhole({ path: ${JSON.stringify(exiting)}, onLog: () => {} });`,
      `process.exit(0);`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(exiting), false, 'socket left after exit');
    assert.equal(existsSync(join(dir, 'x')), false, 'directories left after exit');
  });
});

describe('manhole listen safety', () => {
  test('a non-loopback host is refused without allowRemote and a token', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      await assert.rejects(startManhole({ port: 0, host }), (err: unknown) => {
        assert.ok(err instanceof HeapyError);
        assert.equal(err.exitCode, ExitCode.unsafeListen);
        assert.match(err.message, /refusing to listen on .*needs allowRemote: true and a token/);
        return true;
      });
    }
    await assert.rejects(startManhole({ port: 0, host: '0.0.0.0', allowRemote: true }), /needs allowRemote: true and a token/);
    await assert.rejects(startManhole({ port: 0, host: '0.0.0.0', token: 't' }), /needs allowRemote: true and a token/);
  });

  test('loopback by default; close() ends sessions; a taken port is a typed error', async () => {
    const m = await startManhole({ port: 0, onLog: () => {} });
    assert.deepEqual(m.addresses, [{ kind: 'tcp', host: '127.0.0.1', port: m.port }]);
    const taken = startManhole({ port: m.port!, onLog: () => {} });
    await assert.rejects(taken, (err: unknown) => err instanceof HeapyError && err.exitCode === ExitCode.addressUnavailable);
    const sock = net.connect({ port: m.port!, host: '127.0.0.1' });
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    await new Promise((r) => sock.once('connect', r));
    const ended = new Promise((r) => sock.once('close', r));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(m.connectionCount(), 1);
    await m.close();
    await ended;
    assert.match(text, /manhole: closed by the app/);
    assert.equal(m.connectionCount(), 0);
  });
});

describe('top-level await transform', () => {
  const runIn = async (code: string, ctx: vm.Context) => {
    const src = transformTopLevelAwait(code);
    assert.ok(src !== null, `transform of ${code}`);
    const value = ((await new vm.Script(src).runInContext(ctx)) as { value?: unknown } | undefined)?.value;
    // Objects made in the context have the context's prototypes: compare plain copies.
    return value !== null && typeof value === 'object' && !('then' in value) ? JSON.parse(JSON.stringify(value)) : value;
  };

  test('returns the last expression and publishes declarations', async () => {
    const ctx = vm.createContext({ p: Promise.resolve(5) });
    assert.equal(await runIn('await p', ctx), 5);
    assert.equal(await runIn('const a = await p, b = 2; let c; a + b', ctx), 7);
    assert.equal(vm.runInContext('a + b', ctx), 7);
    assert.equal(vm.runInContext('c', ctx), undefined);
    assert.equal(await runIn('const { q, r: [s] } = await Promise.resolve({ q: 1, r: [2] })', ctx), undefined);
    assert.equal(vm.runInContext('q + s', ctx), 3);
    assert.equal(await runIn('function twice(v) { return v * 2 }\nclass K { m() { return 3 } }\nawait null\ntwice(new K().m())', ctx), 6);
    assert.equal(vm.runInContext('twice(4)', ctx), 8);
    assert.equal(await runIn('if (await p) { 1 }', ctx), undefined);
    assert.equal(await runIn('await p;', ctx), 5);
    assert.deepEqual(await runIn('await p\n;[1, 2].map((v) => v + 1)', ctx), [2, 3]);
    assert.equal(await runIn('const t = `a ${await p} ;\n b`\nt.length', ctx), 8);
    assert.equal(await runIn('const re = /;\\n/g; "x;\\ny".replace(re, await Promise.resolve("-"))', ctx), 'x-y');
    // A returned promise is a value, not awaited again.
    const wrapped = (await new vm.Script(transformTopLevelAwait('await null; Promise.resolve(9)')!).runInContext(ctx)) as { value: Promise<number> };
    assert.equal(typeof wrapped.value.then, 'function');
    assert.equal(await wrapped.value, 9);
  });

  test('statements split at semicolons and at line ends where ASI applies, not inside expressions', () => {
    assert.deepEqual(splitStatements('a = 1\nb = 2'), ['a = 1\n', 'b = 2']);
    assert.deepEqual(splitStatements('x = foo\n  .bar()\ny'), ['x = foo\n  .bar()\n', 'y']);
    assert.deepEqual(splitStatements('f({\n a: 1 })'), ['f({\n a: 1 })']);
    assert.deepEqual(splitStatements('s = "a;b"; t = 2'), ['s = "a;b";', ' t = 2']);
    assert.deepEqual(splitStatements('if (a) {\n}\nelse b()'), ['if (a) {\n}\nelse b()']);
  });

  test('input without a top-level await is left alone', () => {
    assert.equal(transformTopLevelAwait('1 + 1'), null);
    assert.equal(transformTopLevelAwait('awaited + 1'), null);
  });
});

describe('a TCP manhole asks for a token by default (loopback is reachable by every local user)', () => {
  let app: App;
  const home = mkdtempSync(join(tmpdir(), 'heapy-home-'));
  const env = { HOME: home, XDG_RUNTIME_DIR: '' };
  before(async () => {
    app = await startApp({ MANHOLE_PORT: '0', ...env });
  });
  after(async () => {
    await app.stop();
    rmSync(home, { recursive: true, force: true });
    spawnSync('userdel', ['heapytok']);
  });

  test('the generated token is stored 0600 in a 0700 directory, and heapy connect picks it up', async () => {
    const m = /asks for a token; `heapy connect (\d+)` reads it from (\S+)/.exec(app.stderr());
    assert.ok(m, app.stderr());
    assert.equal(Number(m[1]), app.port);
    const file = m[2]!;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    assert.match(readFileSync(file, 'utf8'), /^[\w-]{32}\n$/);
    const r = spawnSync(process.execPath, [cliPath, 'connect', String(app.port)], { input: '6 * 7\n', encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\b42\b/);
  });

  test('without the token nothing runs; guessing is throttled', async () => {
    const none = await nc(app.port!, 'process.pid\n');
    assert.match(none.stdout, /^manhole token: manhole: wrong token\n$/);
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => nc(app.port!, `guess${i}\n`)));
    assert.ok(guesses.some((g) => /too many wrong tokens/.test(g.stdout)), guesses.map((g) => g.stdout).join('|'));
    assert.ok(!guesses.some((g) => /^\d+$/m.test(g.stdout)), 'no guess evaluated anything');
    assert.match(app.stderr(), /manhole: too many wrong tokens; refusing connections for a second/);
  });

  test('silent clients cannot hold the slots: at most 16 wait for their token, each at most 5 s', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // past the guessing throttle of the test before
    const silent: net.Socket[] = [];
    const closedAt: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 40; i++) {
      const c = net.connect(app.port!, '127.0.0.1');
      c.on('error', () => {});
      c.resume(); // read what the server sends, so its end (and our close) is seen
      c.on('close', () => closedAt.push(Date.now() - t0));
      silent.push(c);
    }
    await new Promise((r) => setTimeout(r, 300));
    // The right token still gets in while 40 silent clients are connected.
    const token = readFileSync(/reads it from (\S+)/.exec(app.stderr())![1]!, 'utf8').trim();
    const r = await nc(app.port!, `${token}\n6 * 7\n`);
    assert.match(r.stdout, /\b42\b/);
    await new Promise((r2) => setTimeout(r2, 6000));
    assert.equal(closedAt.length, 40, `${closedAt.length} of 40 silent clients closed`);
    assert.ok(Math.max(...closedAt) < 6500, `the last silent client was closed after ${Math.max(...closedAt)} ms`);
    for (const c of silent) c.destroy();
  });

  test('another local user cannot read the token nor get in', async () => {
    spawnSync('userdel', ['heapytok']);
    const add = spawnSync('useradd', ['-M', '-d', '/nonexistent', 'heapytok']);
    assert.equal(add.status, 0, String(add.stderr));
    const uid = Number(spawnSync('id', ['-u', 'heapytok'], { encoding: 'utf8' }).stdout.trim());
    const file = /reads it from (\S+)/.exec(app.stderr())![1]!;
    const cat = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'cat', file], { encoding: 'utf8' });
    assert.notEqual(cat.status, 0, 'the other user read the token');
    await new Promise((r) => setTimeout(r, 1100)); // past the guessing throttle of the test before
    const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'nc', '-N', '127.0.0.1', String(app.port)], { input: 'process.getuid()\n', encoding: 'utf8', timeout: 10_000 });
    assert.match(r.stdout, /manhole: wrong token/);
    assert.doesNotMatch(r.stdout, /^0$/m);
  });
});
