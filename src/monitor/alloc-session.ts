/**
 * Running V8's sampling heap profiler in a target over CDP: in a running process (any inspector
 * target heapy can attach to) or in a command heapy starts with its preload probe, which opens the
 * inspector on a random loopback port and holds the program until sampling has started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachTarget } from '../attach/connect.js';
import { CdpClient, type CdpSession } from '../attach/cdp.js';
import { ExitCode, HeapyError } from '../errors.js';
import { PositionCache, type SamplingProfile } from './alloc.js';
import { nodeOptionsWithProbe } from './run.js';

/** V8's own default: one sample per 32 KiB allocated on average. */
export const DEFAULT_SAMPLING_INTERVAL = 32768;

/** A target with sampling running. */
export interface AllocTarget {
  /** 'pid 123 (...)' or the command. */
  readonly description: string;
  readonly session: CdpSession;
  /** Resolves when the target is about to exit (or the connection ended): sample now or never. */
  readonly ending: Promise<'exiting' | 'closed'>;
  /** The latest profile, positions filled in from earlier ones (see PositionCache). */
  profile(): Promise<SamplingProfile>;
  /** Stops sampling and leaves the target as found (closes an inspector heapy opened). */
  finish(): Promise<void>;
  /** For a command heapy started: its exit (code or 128+signal). */
  readonly exited?: Promise<number>;
  /** For a command heapy started: sends it a signal. */
  kill?(signal: NodeJS.Signals): void;
}

interface SamplingState {
  cache: PositionCache;
  refresh: NodeJS.Timeout;
}

/**
 * Starts sampling on `session` and refreshes the position cache every second, so frames whose
 * scripts are gone by the final profile still have their file:line.
 */
async function startSampling(session: CdpSession, samplingInterval: number): Promise<SamplingState> {
  await session.send('HeapProfiler.startSampling', { samplingInterval });
  const cache = new PositionCache();
  const refresh = setInterval(() => {
    if (session.closed) return;
    session
      .send<{ profile: SamplingProfile }>('HeapProfiler.getSamplingProfile', {}, { timeoutMs: 30_000 })
      .then((r) => cache.apply(r.profile))
      .catch(() => {});
  }, 1000);
  refresh.unref();
  return { cache, refresh };
}

async function getProfile(session: CdpSession, st: SamplingState): Promise<SamplingProfile> {
  const r = await session.send<{ profile: SamplingProfile }>('HeapProfiler.getSamplingProfile', {}, { timeoutMs: 60_000 });
  st.cache.apply(r.profile);
  return r.profile;
}

function endingOf(session: CdpSession): Promise<'exiting' | 'closed'> {
  return new Promise((resolve) => {
    session.on('NodeRuntime.waitingForDisconnect', () => resolve('exiting'));
    session.onClose(() => resolve('closed'));
  });
}

/** Attaches to a running target (pid, host:port or ws:// URL) and starts sampling. */
export async function sampleTarget(spec: string, samplingInterval = DEFAULT_SAMPLING_INTERVAL): Promise<AllocTarget> {
  const att = await attachTarget(spec);
  let st: SamplingState;
  try {
    // Without this, a target that ends while heapy is connected would hang in "Waiting for the debugger to disconnect".
    await att.client.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => {});
    st = await startSampling(att.session, samplingInterval);
  } catch (err) {
    await att.detach();
    throw err;
  }
  const ending = endingOf(att.client);
  let finished: Promise<void> | undefined;
  return {
    description: att.description,
    session: att.session,
    ending,
    profile: () => getProfile(att.session, st),
    finish() {
      finished ??= (async () => {
        clearInterval(st.refresh);
        if (!att.session.closed) await att.session.send('HeapProfiler.stopSampling', {}, { timeoutMs: 10_000 }).catch(() => {});
        await att.detach();
      })();
      return finished;
    },
  };
}

// Lines Node prints on stderr because the probe opened the inspector; not the program's output.
const INSPECTOR_NOISE = /^(Debugger listening on ws:\/\/\S+|For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector|Debugger attached\.|Waiting for the debugger to disconnect\.\.\.|Debugger ending on ws:\/\/\S+)\s*$/;

/** Copies a child's stderr to ours, without the inspector's own messages. */
function filterStderr(child: ChildProcess): void {
  let buf = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    let out = '';
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl + 1);
      buf = buf.slice(nl + 1);
      if (!INSPECTOR_NOISE.test(line)) out += line;
    }
    if (out) process.stderr.write(out);
  });
  child.stderr?.on('end', () => {
    if (buf && !INSPECTOR_NOISE.test(buf)) process.stderr.write(buf);
  });
}

/**
 * Starts `command` with the probe asking its first Node process to open the inspector and wait;
 * connects, starts sampling, then lets the program run. Throws notNode when the command ends (or
 * 30 s pass) without a Node process reporting in.
 */
export async function sampleCommand(
  command: string[],
  samplingInterval = DEFAULT_SAMPLING_INTERVAL,
  opts: { waitMs?: number; stdoutToStderr?: boolean } = {},
): Promise<AllocTarget> {
  const waitMs = opts.waitMs ?? 30_000;
  const [file, ...args] = command;
  if (!file) throw new HeapyError('no command given', ExitCode.usage);
  const dir = mkdtempSync(join(tmpdir(), 'heapy-alloc-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const env = { ...process.env, NODE_OPTIONS: nodeOptionsWithProbe(process.env.NODE_OPTIONS), HEAPY_PROBE_INSPECT: dir };
  // With stdoutToStderr (heapy's --json), the command's output goes to heapy's stderr so that
  // heapy's stdout holds only the JSON.
  const child = spawn(file, args, { stdio: ['inherit', opts.stdoutToStderr ? 2 : 'inherit', 'pipe'], env });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    cleanup();
    const code = (err as NodeJS.ErrnoException).code;
    throw new HeapyError(`cannot run '${file}': ${code === 'ENOENT' ? 'command not found' : code ?? String(err)}`, code === 'ENOENT' ? ExitCode.fileNotFound : ExitCode.internal);
  }
  filterStderr(child);
  const exited = new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? 128 + (s === 'SIGKILL' ? 9 : s === 'SIGINT' ? 2 : 15))));
  let gone = false;
  void exited.then(() => (gone = true));

  // The probe writes inspect-<pid>.json and blocks in inspector.waitForDebugger(): poll for it.
  let info: { pid: number; url: string; argv: string[] } | undefined;
  const deadline = Date.now() + waitMs;
  while (!info) {
    const name = readdirSync(dir).find((n) => n.startsWith('inspect-') && n.endsWith('.json'));
    if (name) info = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { pid: number; url: string; argv: string[] };
    else if (gone || Date.now() > deadline) {
      cleanup();
      if (!gone) child.kill('SIGTERM');
      throw new HeapyError(`'${command.join(' ')}' ${gone ? 'ended' : 'ran for ' + waitMs / 1000 + ' s'} without starting a Node.js process to profile`, ExitCode.notNode);
    } else await new Promise((r) => setTimeout(r, 20));
  }
  cleanup();
  let client: CdpClient;
  try {
    client = await CdpClient.connect(info.url);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  let st: SamplingState;
  try {
    await client.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => {});
    st = await startSampling(client, samplingInterval);
    // Releases inspector.waitForDebugger() in the probe: the program starts with sampling on.
    await client.send('Runtime.runIfWaitingForDebugger');
  } catch (err) {
    await client.close();
    child.kill('SIGTERM');
    throw err;
  }
  const ending = endingOf(client);
  let exiting = false;
  void ending.then((why) => (exiting = why === 'exiting'));
  let finished: Promise<void> | undefined;
  return {
    description: `pid ${info.pid} (${info.argv.join(' ')})`,
    session: client,
    ending,
    exited,
    kill(sig) {
      if (!gone) child.kill(sig);
    },
    profile: () => getProfile(client, st),
    finish() {
      finished ??= (async () => {
        clearInterval(st.refresh);
        if (!client.closed) {
          await client.send('HeapProfiler.stopSampling', {}, { timeoutMs: 10_000 }).catch(() => {});
          // A program still running keeps no open port behind: the probe opened it, heapy closes it.
          if (!exiting) {
            await client
              .send('Runtime.evaluate', { expression: "(process.getBuiltinModule?.('inspector') ?? require('inspector')).close()", includeCommandLineAPI: true, silent: true }, { timeoutMs: 2000 })
              .catch(() => {});
          }
        }
        await client.close();
      })();
      return finished;
    },
  };
}
