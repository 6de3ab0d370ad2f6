/**
 * `attach()`: the library's way into a process that was never prepared, what `heapy attach` does
 * before its REPL: open the target's inspector (SIGUSR1 for a pid), connect, and hand back the
 * remote counterpart of hpy(). The heap is analysed in this process, not in the target.
 */
import { attachTarget, type AttachOptions } from '../attach/connect.js';
import { remoteHpy, type RemoteHpy, type RemoteHpyOptions } from './remote.js';

/** Options of {@link attach}: where the inspector is, and the remote session's settings. */
export interface AttachSessionOptions extends AttachOptions, RemoteHpyOptions {}

/** A session with a running process; call {@link AttachSession.detach} when done. */
export interface AttachSession {
  /** The remote hpy(): heap(), setref(), snapshot(), gc(), mem(). */
  readonly h: RemoteHpy;
  /** Which process: "pid 1234 (port 9229)" or the address. */
  readonly description: string;
  /**
   * Leaves the target as found (closes an inspector heapy opened). Resolves to false when such an
   * inspector could not be confirmed closed. Safe to call more than once.
   */
  detach(): Promise<boolean>;
}

/**
 * Attaches to a running Node process by pid (`4242`), inspector address (`127.0.0.1:9229`) or
 * `ws://` URL. The process needs no heapy inside.
 *
 * @example
 * ```ts
 * const session = await attach(4242);
 * try {
 *   const heap = await session.h.heap();
 *   console.log(String(heap)); // the partition table, largest kinds first
 * } finally {
 *   await session.detach();
 * }
 * ```
 */
export async function attach(target: number | string, options: AttachSessionOptions = {}): Promise<AttachSession> {
  const a = await attachTarget(String(target), options);
  return { h: remoteHpy(a, options), description: a.description, detach: () => a.detach() };
}
