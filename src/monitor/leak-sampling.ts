/**
 * The sampling heap profiler of `heapy leaks --pid`: started in the target after the target
 * snapshot, read once after the final one, stopped again whatever happens in between.
 *
 * Unlike `heapy alloc`, nothing polls the profile while it runs (no position cache): building a
 * profile walks every live sample in the target, and one read at the end is all leaks needs.
 */
import type { CdpSession } from '../attach/cdp.js';
import type { SamplingProfile } from './alloc.js';

/** Sampling started by {@link startLeakSampling}. */
export interface LeakSampling {
  /** The bytes between samples it was started with. */
  readonly samplingInterval: number;
  /** When sampling started (Date.now()). */
  readonly startedAt: number;
  /** Collects garbage, then the profile: the samples still alive, with their call tree. */
  profile(): Promise<SamplingProfile>;
  /** Stops sampling; safe to call more than once, and after the session is gone. */
  stop(): Promise<void>;
}

/**
 * Starts V8's sampling heap profiler on `session`, or returns a reason string when the target is
 * already sampling (another tool's profile: heapy neither reads nor stops it). V8 has one sampler
 * per isolate, and getSamplingProfile answers from any session while it runs.
 */
export async function startLeakSampling(session: CdpSession, samplingInterval: number): Promise<LeakSampling | string> {
  const busy = await session
    .send('HeapProfiler.getSamplingProfile', {}, { timeoutMs: 30_000 })
    .then(() => true)
    .catch(() => false);
  if (busy) return 'the target was already running a sampling heap profiler (another tool); heapy left it alone';
  try {
    await session.send('HeapProfiler.startSampling', { samplingInterval }, { timeoutMs: 30_000 });
  } catch (err) {
    // A start that timed out may still have happened in the target: undo it, at worst a no-op.
    if (!session.closed) await session.send('HeapProfiler.stopSampling', {}, { timeoutMs: 10_000 }).catch(() => {});
    throw err;
  }
  const startedAt = Date.now();
  let stopped: Promise<void> | undefined;
  return {
    samplingInterval,
    startedAt,
    async profile() {
      // The target ran on after the final snapshot's collection: collect again, so that requests
      // handled since then do not count as live. Both requests go out together: the inspector
      // runs queued messages back to back, leaving the program no turn to allocate in between.
      const gc = session.send('HeapProfiler.collectGarbage', {}, { timeoutMs: 60_000 });
      const r = session.send<{ profile: SamplingProfile }>('HeapProfiler.getSamplingProfile', {}, { timeoutMs: 60_000 });
      await gc;
      return (await r).profile;
    },
    stop() {
      // When the session is already closed, V8 stopped the sampler itself: an inspector session
      // that ends disables its HeapProfiler agent, sampling included (checked on Node 20.20).
      stopped ??= session.closed ? Promise.resolve() : session.send('HeapProfiler.stopSampling', {}, { timeoutMs: 10_000 }).then(() => {}, () => {});
      return stopped;
    },
  };
}
