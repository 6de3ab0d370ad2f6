/**
 * The signal-safe attach/detach wrapper every command that attaches to a live process runs in
 * (attach, snapshot, heap, leaks --pid), with the options and file names they share.
 */
import { ExitCode, HeapyError } from '../errors.js';
import { attachTarget, type Attachment, type AttachOptions } from '../attach/connect.js';
import type { GuardOptions } from '../capture/cost.js';
import { type CommandOptions, duration, optionalWholeNumber, size } from './args.js';

/** Exit statuses for the signals heapy detaches on (128 + signal number, as shells report them). */
export const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
const SIGNALS = Object.keys(SIGNAL_EXIT) as Array<keyof typeof SIGNAL_EXIT>;

/** What `body` of {@link runAttached} may ask about signals. */
export interface AttachedContext {
  /** The signal heapy received, if any (the target has been detached already). */
  signalled(): keyof typeof SIGNAL_EXIT | undefined;
  /** Called once when a signal arrives, after detaching has started. */
  onSignal(handler: () => void): void;
  /** The exit status for a body that stops early because of the signal: 128 + its number. */
  stoppedStatus(): number;
}

/**
 * Attaches, runs `body`, and always detaches (closing an inspector heapy opened), including on
 * SIGINT, SIGTERM and SIGHUP: a signal starts the detach at once, which also makes any request
 * still pending fail. The exit status is the body's when it returns (a body that completed its
 * output before the signal reports success, so "wrote ..." never comes with 130), and 128 + the
 * signal number when the signal made it fail; a body that stops early on a signal returns
 * {@link AttachedContext.stoppedStatus}.
 */
export async function runAttached(spec: string, options: AttachOptions, body: (a: Attachment, ctx: AttachedContext) => Promise<number>): Promise<number> {
  let signalled: keyof typeof SIGNAL_EXIT | undefined;
  let attachment: Attachment | undefined;
  const handlers: Array<() => void> = [];
  const onSig = (sig: keyof typeof SIGNAL_EXIT): void => {
    if (signalled) return;
    signalled = sig;
    if (attachment) void attachment.detach();
    for (const h of handlers) h();
  };
  const listeners = SIGNALS.map((s) => [s, () => onSig(s)] as const);
  for (const [s, l] of listeners) process.on(s, l);
  try {
    attachment = await attachTarget(spec, options);
    // A signal during attaching: undo right away.
    if (signalled) {
      await attachment.detach();
      return SIGNAL_EXIT[signalled];
    }
    let code: number;
    try {
      code = await body(attachment, {
        signalled: () => signalled,
        onSignal: (h) => handlers.push(h),
        stoppedStatus: () => (signalled ? SIGNAL_EXIT[signalled] : ExitCode.ok),
      });
    } catch (err) {
      if (signalled) code = SIGNAL_EXIT[signalled];
      else throw err;
    }
    const closed = await attachment.detach();
    if (!closed) process.stderr.write(`heapy: warning: could not confirm that the inspector of ${attachment.description} is closed again\n`);
    return code;
  } finally {
    if (attachment) await attachment.detach();
    for (const [s, l] of listeners) process.off(s, l);
  }
}

/** Parses --port and --timeout into attach options. */
export function attachOptions(values: { port?: string | undefined; worker?: string | undefined; timeout?: string | undefined }): AttachOptions {
  const port = optionalWholeNumber('--port', values.port, 0, 65535);
  // Attaching answers in milliseconds or not at all; past 10 minutes a value is a slip (`--timeout
  // 5000` from the days it took bare milliseconds), and the error says to write `5000ms`.
  const timeoutMs = values.timeout === undefined ? undefined : duration('--timeout', values.timeout, { max: 600_000 });
  return {
    ...(port !== undefined ? { port } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(values.worker !== undefined ? { worker: values.worker } : {}),
  };
}

/** Default snapshot file name: heapy-<pid>-<YYYYMMDD-HHMMSS>.heapsnapshot (local time). */
export function defaultSnapshotName(pid: number | null, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `heapy-${pid ?? 'remote'}-${stamp}.heapsnapshot`;
}

/** The cost guard's options, in every command that captures a live heap. */
export const GUARD_OPTIONS = {
  force: { type: 'boolean', default: false },
  'max-target-rss': { type: 'string' },
} satisfies CommandOptions;

/** The options every command that attaches takes (read by {@link attachOptions}), with the guard's. */
export const TARGET_OPTIONS = {
  worker: { type: 'string' },
  port: { type: 'string' },
  timeout: { type: 'string' },
  ...GUARD_OPTIONS,
} satisfies CommandOptions;

/** Their lines in a command's usage text, option text starting at `column`. */
export function guardUsage(column: number): string {
  const pad = (s: string): string => s.padEnd(column);
  return [
    `${pad('      --force')}capture even when the target may not have the memory for it`,
    `${pad('      --max-target-rss <size>')}refuse unless the target's RSS plus the capture's cost stays`,
    `${pad('')}under this (512MiB, 2G; default: what its cgroup, RLIMIT_AS and the host leave)`,
  ].join('\n');
}

/** Parses --force and --max-target-rss. */
export function guardOptions(values: { force?: boolean | undefined; 'max-target-rss'?: string | undefined }): GuardOptions {
  const max = values['max-target-rss'];
  return { force: values.force === true, ...(max !== undefined ? { maxTargetRss: size('--max-target-rss', max) } : {}) };
}
