/**
 * One attach session: resolve a target (pid, host:port or ws:// URL), open its inspector if
 * needed, connect, arm the leave-no-trace guard, optionally pick a worker thread, and undo it all
 * on detach.
 */
import { ExitCode, HeapyError } from '../errors.js';
import { CdpClient, type CdpSession } from './cdp.js';
import { inspectorAt, listWorkers, openInspector, releaseWorkers, workerSession, type InspectorHandle, type WorkerInfo } from './inspector.js';

/** Options for {@link attachTarget}. */
export interface AttachOptions {
  /** Inspector port to expect instead of the target's own setting. */
  readonly port?: number;
  /** Worker thread id (as listed) to talk to instead of the main thread. */
  readonly worker?: string;
  /** Timeout for opening and for each request, in ms. */
  readonly timeoutMs?: number;
  /** List the worker threads even when none is chosen (they are detached again at once). */
  readonly listWorkers?: boolean;
}

/** A live attachment. `session` is the main thread's or the chosen worker's. */
export interface Attachment {
  readonly inspector: InspectorHandle;
  /** The WebSocket connection to the main thread. */
  readonly client: CdpClient;
  /** Where commands go: the main thread, or the worker chosen with `worker`. */
  readonly session: CdpSession;
  /** Worker threads seen when attaching. */
  readonly workers: readonly WorkerInfo[];
  /** Short description: "pid 1234 (port 9229)" or the address. */
  readonly description: string;
  /**
   * Leaves the target as found: detaches from workers, closes the inspector iff heapy opened it,
   * closes the connection. Resolves to false when an inspector heapy opened is still listening.
   * Safe to call more than once.
   */
  detach(): Promise<boolean>;
}

/** Parses a target spec: a pid, host:port, :port, or a ws:// URL. */
export function parseTargetSpec(spec: string): { pid: number } | { address: string } {
  if (/^\d+$/.test(spec)) return { pid: Number(spec) };
  if (/^wss?:\/\//.test(spec) || /^(\[[^\]]+\]|[^:/]*):\d+$/.test(spec)) return { address: spec };
  throw new HeapyError(`${spec}: expected a pid, host:port or ws:// URL`, ExitCode.usage);
}

/** Attaches to a target; see {@link Attachment}. */
export async function attachTarget(spec: string, options: AttachOptions = {}): Promise<Attachment> {
  const t = parseTargetSpec(spec);
  const inspector =
    'pid' in t
      ? await openInspector(t.pid, { ...(options.port !== undefined ? { port: options.port } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) })
      : await inspectorAt(t.address, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  let client: CdpClient;
  try {
    client = await CdpClient.connect(inspector.wsUrl, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  } catch (err) {
    await inspector.close().catch(() => false);
    throw err;
  }
  let detached: Promise<boolean> | undefined;
  const detach = (): Promise<boolean> => {
    detached ??= (async () => {
      if (workerWanted) await releaseWorkers(client).catch(() => {});
      const closed = await inspector.close(client).catch(() => false);
      await client.close();
      return closed;
    })();
    return detached;
  };
  const workerWanted = options.worker !== undefined;
  try {
    await inspector.guard(client);
    let session: CdpSession = client;
    let workers: WorkerInfo[] = [];
    if (workerWanted || options.listWorkers) {
      workers = await listWorkers(client);
      if (!workerWanted) await releaseWorkers(client);
    }
    if (workerWanted) {
      const w = workers.find((x) => x.workerId === options.worker);
      if (!w) {
        const known = workers.length ? workers.map((x) => x.workerId).join(', ') : 'none';
        throw new HeapyError(`the target has no worker thread ${options.worker} (workers: ${known})`, ExitCode.badInput);
      }
      session = workerSession(client, w);
    }
    const where = inspector.pid !== null ? `pid ${inspector.pid} (inspector ${inspector.host}:${inspector.port}${inspector.openedByUs ? ', opened by heapy' : ''})` : `${inspector.host}:${inspector.port}`;
    return {
      inspector,
      client,
      session,
      workers,
      description: workerWanted ? `${where}, worker ${options.worker}` : where,
      detach,
    };
  } catch (err) {
    await detach();
    throw err;
  }
}
