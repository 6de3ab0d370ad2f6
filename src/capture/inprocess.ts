/**
 * Snapshots of heapy's own process through an in-process inspector session.
 *
 * `reportProgress` is never passed: in-process it segfaults Node 20 (nodejs/node#44634).
 */
import { Session } from 'node:inspector';
import { ExitCode, HeapyError } from '../errors.js';
import { getHeapSpaceStatistics } from 'node:v8';
import { LINE_ENDS_WARMUP } from './line-ends.js';
import { guardCapture, NodeCountScanner, type GuardOptions, type LastCapture } from './cost.js';

/** A connected in-process inspector session with a promise-based `post`. */
export class InProcessInspector {
  private readonly session = new Session();
  private connected = false;
  // What the last snapshot counted: the cost guard's second estimate for the next.
  private last: LastCapture | undefined;

  private ensure(): Session {
    if (!this.connected) {
      try {
        this.session.connect();
      } catch (err) {
        throw new HeapyError(`cannot open an in-process inspector session: ${(err as Error).message}`, ExitCode.internal);
      }
      this.connected = true;
    }
    return this.session;
  }

  /** Sends a protocol command and resolves to its result. */
  post<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const s = this.ensure();
    return new Promise((resolve, reject) => {
      s.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T)));
    });
  }

  /** Forces a full garbage collection. */
  async collectGarbage(): Promise<void> {
    await this.post('HeapProfiler.enable');
    await this.post('HeapProfiler.collectGarbage');
  }

  /**
   * Takes a heap snapshot, handing each chunk to `onChunk` as it is serialised (no temporary file,
   * no whole-snapshot string). The cost guard runs first: it throws captureTooCostly when this
   * process would not have the memory for the snapshot (unless `guard.force`).
   */
  async takeSnapshot(onChunk: (chunk: string) => void, guard: GuardOptions = {}): Promise<void> {
    const figures = { memoryUsage: process.memoryUsage(), heapSpaceStatistics: getHeapSpaceStatistics() };
    const estimate = await guardCapture(figures, { pid: process.pid, ...guard }, `pid ${process.pid}`, this.last);
    const s = this.ensure();
    await this.post('HeapProfiler.enable');
    let failure: unknown;
    const counter = new NodeCountScanner();
    const listener = (m: { params: { chunk: string } }) => {
      counter.write(m.params.chunk);
      if (failure) return;
      try {
        onChunk(m.params.chunk);
      } catch (err) {
        failure = err;
      }
    };
    for (const method of LINE_ENDS_WARMUP) await this.post(method);
    s.on('HeapProfiler.addHeapSnapshotChunk', listener);
    try {
      await this.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      s.off('HeapProfiler.addHeapSnapshotChunk', listener);
      if (counter.count !== undefined) this.last = { nodes: counter.count, heapBytes: estimate.heapBytes };
    }
    if (failure) throw failure;
  }

  /**
   * The V8 heap object id of a live object. The object is parked for a moment on a global under
   * a random name so that Runtime.evaluate can reach it, then removed.
   */
  async heapObjectId(value: object): Promise<number> {
    const key = `__heapy_iso_${process.pid}_${Math.random().toString(36).slice(2)}`;
    const g = globalThis as Record<string, unknown>;
    g[key] = value;
    try {
      const r = await this.post<{ result: { objectId?: string } }>('Runtime.evaluate', { expression: `globalThis[${JSON.stringify(key)}]` });
      const objectId = r.result.objectId;
      if (!objectId) throw new HeapyError('iso() takes objects, not primitive values', ExitCode.badInput);
      await this.post('HeapProfiler.enable');
      const id = await this.post<{ heapSnapshotObjectId: string }>('HeapProfiler.getHeapObjectId', { objectId });
      await this.post('Runtime.releaseObject', { objectId });
      return Number(id.heapSnapshotObjectId);
    } finally {
      delete g[key];
    }
  }

  /** Closes the session. */
  close(): void {
    if (this.connected) this.session.disconnect();
    this.connected = false;
  }
}
