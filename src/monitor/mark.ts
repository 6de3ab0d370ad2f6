/**
 * `mark(label)`: puts a labelled vertical line on heapy's memory timeline.
 * The probe that `heapy run` preloads (or the hook `heapy monitor` installs over the inspector) sits
 * under a global symbol; without it, mark does nothing, so the call can stay in production code.
 */

/** The global key under which a running probe offers `mark`; shared with src/monitor/probe.cts. */
export const PROBE_HOOK_KEY: symbol = Symbol.for('heapy.probe');

/** Records `label` at the current time in heapy's timeline when heapy is watching this process; a no-op otherwise. */
export function mark(label: string): void {
  const hook = (globalThis as Record<symbol, unknown>)[PROBE_HOOK_KEY] as { mark?: (label: string) => void } | undefined;
  if (hook && typeof hook.mark === 'function') {
    try {
      hook.mark(String(label));
    } catch {
      // Profiling must never break the application.
    }
  }
}
