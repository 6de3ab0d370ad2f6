// `heapy attach` in a real terminal (tmux): tab completion from the target's globals and from
// heapy-side results, Ctrl-C while waiting on the target, Ctrl-C twice to leave (and the inspector
// closed after), history written with mode 0600.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listeningSocketsOf } from '../src/attach/proc.js';
import { freePort } from './helpers/net.js';
import { lastLine, tmuxServer } from './helpers/tmux.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'src', 'cli', 'bin.js');
const dir = mkdtempSync(join(tmpdir(), 'heapy-attach-tty-'));
const term = tmuxServer(`heapy-attach-tty-${process.pid}`, 20_000);
const tmux = term.run;
const { screen, keys, waitScreen } = term;
let target: ChildProcess | undefined;

after(() => {
  term.kill();
  target?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('attach in a terminal: completion, Ctrl-C while waiting, Ctrl-C twice leaves and closes the port, history', async () => {
  const inspectPort = await freePort();
  target = spawn(process.execPath, [`--inspect-port=${inspectPort}`, join(root, 'test', 'programs', 'attach-service.mjs')], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve) => {
    let out = '';
    target!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { pid: number }).pid);
    });
  });
  const history = join(dir, 'history');
  const prompt = `heapy ${pid}>`;
  tmux('new-session', '-d', '-s', 'a', '-x', '160', '-y', '50', `HEAPY_ATTACH_HISTORY='${history}' '${process.execPath}' '${bin}' attach ${pid}; echo EXIT=$?; sleep 60`);
  await waitScreen('a', (s) => lastLine(s) === prompt, 'first prompt');

  // Completion of a member of a target global, evaluated without side effects in the target.
  keys('a', 'process.memoryU');
  await waitScreen('a', (s) => lastLine(s) === `${prompt} process.memoryU`, 'typed prefix');
  keys('a', 'Tab');
  await waitScreen('a', (s) => lastLine(s) === `${prompt} process.memoryUsage`, 'completed member');
  keys('a', 'C-u', '1 + 1', 'Enter');
  await waitScreen('a', (s) => /^2$/m.test(s) && lastLine(s) === prompt, 'a value');

  // Ctrl-C while the target has not answered: heapy stops waiting, the REPL stays.
  keys('a', 'await new Promise((r) => setTimeout(r, 30000))', 'Enter');
  await waitScreen('a', (s) => lastLine(s).endsWith('30000))'), 'pending evaluation');
  keys('a', 'C-c');
  let s = await waitScreen('a', (x) => x.includes('stopped waiting; the evaluation may still be running in the target') && lastLine(x) === prompt, 'stopped waiting');
  assert.doesNotMatch(s, /To exit, press Ctrl\+C again/);

  // .heap, then completion on the heapy-side result `_`.
  keys('a', '.heap', 'Enter');
  await waitScreen('a', (x) => x.includes('Partition of a set of') && lastLine(x) === prompt, 'heap table', 60_000);
  keys('a', '_.byRef');
  await waitScreen('a', (x) => lastLine(x) === `${prompt} _.byRef`, 'typed local prefix');
  keys('a', 'Tab');
  await waitScreen('a', (x) => lastLine(x) === `${prompt} _.byReferrers`, 'completed local member');
  keys('a', 'C-u');

  // Ctrl-C twice on an empty line leaves; the inspector heapy opened is closed.
  assert.ok(listeningSocketsOf(pid).some((x) => x.port === inspectPort));
  keys('a', 'C-c');
  await waitScreen('a', (x) => x.includes('To exit, press Ctrl+C again'), 'first Ctrl-C');
  keys('a', 'C-c');
  s = await waitScreen('a', (x) => x.includes('EXIT='), 'exit');
  assert.match(s, /EXIT=0/);
  assert.equal(listeningSocketsOf(pid).some((x) => x.port === inspectPort), false, 'inspector still open');

  const saved = readFileSync(history, 'utf8').trim().split('\n');
  assert.deepEqual(saved.slice(0, 3), ['.heap', 'await new Promise((r) => setTimeout(r, 30000))', '1 + 1']);
  assert.equal(statSync(history).mode & 0o777, 0o600);
});

test('attach in a terminal: Ctrl-C during .heap cancels the capture and returns to the prompt; the next .heap and .detach work', async () => {
  const inspectPort = await freePort();
  const big = spawn(process.execPath, [`--inspect-port=${inspectPort}`, join(root, 'test', 'programs', 'attach-ballast.mjs'), '120'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = await new Promise<number>((resolve) => {
      let out = '';
      big.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { pid: number }).pid);
      });
    });
    const prompt = `heapy ${pid}>`;
    tmux('new-session', '-d', '-s', 'c', '-x', '160', '-y', '50', `HEAPY_ATTACH_HISTORY= '${process.execPath}' '${bin}' attach ${pid}; echo EXIT=$?; sleep 60`);
    await waitScreen('c', (s) => lastLine(s) === prompt, 'first prompt');
    keys('c', '.heap', 'Enter');
    await waitScreen('c', (s) => /heap .*(target walk|received)/.test(s), 'the capture running', 30_000);
    keys('c', 'C-c');
    const s = await waitScreen('c', (x) => x.includes('capture cancelled; the target may still be finishing') && lastLine(x) === prompt, 'cancelled', 30_000);
    assert.doesNotMatch(s, /To exit, press Ctrl\+C again/);
    keys('c', '.heap', 'Enter');
    await waitScreen('c', (x) => x.includes('Partition of a set of') && lastLine(x) === prompt, 'a whole heap after the cancelled one', 120_000);
    keys('c', '.detach', 'Enter');
    const end = await waitScreen('c', (x) => x.includes('EXIT='), 'exit', 30_000);
    assert.match(end, /EXIT=0/);
    assert.equal(listeningSocketsOf(pid).some((x) => x.port === inspectPort), false, 'inspector still open');
  } finally {
    big.kill('SIGKILL');
  }
});
