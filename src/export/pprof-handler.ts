/**
 * `import { heapProfileHandler } from 'heapy/pprof'`: the `/debug/pprof/heap` endpoint of Go
 * services, for a Node one. Pyroscope, Parca (pull mode) and `go tool pprof http://host/debug/pprof/heap`
 * fetch it: a gzipped profile.proto of the live heap by allocation stack, from V8's sampling heap
 * profiler, which runs from the handler's creation until `stop()`.
 *
 * The profiler runs in-process through `node:inspector` (a Session needs no port and no flag).
 * Cost: V8 takes a stack sample about every `samplingInterval` allocated bytes and keeps a record
 * per sampled object still alive; at the default 512 KiB (Go's runtime.MemProfileRate is the same
 * figure) a service allocating 100 MB/s takes ~200 samples a second. bench/pprof-handler-bench.mjs
 * measures the throughput cost on a small HTTP service.
 */
import { Session } from 'node:inspector';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { SamplingProfile } from '../monitor/alloc.js';
import { PositionCache } from '../monitor/alloc.js';
import { allocationPprof } from './pprof.js';

const gzipAsync = promisify(gzip);

/** Sampling interval of {@link heapProfileHandler} unless told otherwise: 512 KiB, as Go's MemProfileRate. */
export const DEFAULT_HANDLER_SAMPLING_INTERVAL = 512 * 1024;

/** Options of {@link heapProfileHandler}. */
export interface HeapProfileHandlerOptions {
  /** Average bytes allocated between two samples (default 512 KiB). Smaller: finer and costlier. */
  readonly samplingInterval?: number;
  /** The path served (default `/debug/pprof/heap`); other paths go to `next` or get 404. */
  readonly path?: string;
}

/** A node:http request handler serving the heap profile, with `stop()` to turn sampling off. */
export interface HeapProfileHandler {
  /**
   * Serves GET/HEAD `path` (query `gc=1`: collect garbage first, so only live objects count).
   * Another path calls `next` when given (Express and Connect style), else answers 404.
   */
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** The interval sampling runs at, in bytes. */
  readonly samplingInterval: number;
  /** Turns sampling off and ends the inspector session; later requests get 503. Idempotent. */
  stop(): Promise<void>;
}

/** Posts a CDP command on an in-process session. */
function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

/**
 * Starts V8's sampling heap profiler in this process and returns a handler that serves it as
 * pprof (sample types inuse_objects/count and inuse_space/bytes, functions with file and line).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { heapProfileHandler } from 'heapy/pprof';
 * const pprof = heapProfileHandler();
 * createServer((req, res) => (req.url?.startsWith('/debug/pprof/') ? pprof(req, res) : app(req, res))).listen(8080, '127.0.0.1');
 * ```
 */
export function heapProfileHandler(options: HeapProfileHandlerOptions = {}): HeapProfileHandler {
  const samplingInterval = options.samplingInterval ?? DEFAULT_HANDLER_SAMPLING_INTERVAL;
  if (!Number.isSafeInteger(samplingInterval) || samplingInterval < 1) throw new RangeError(`samplingInterval: expected a whole number of bytes of at least 1, got ${samplingInterval}`);
  const path = options.path ?? '/debug/pprof/heap';
  const session = new Session();
  session.connect();
  const startMs = Date.now();
  // Positions of frames whose scripts are gone come back empty: remembered from earlier profiles.
  const positions = new PositionCache();
  let stopped = false;
  const started = post(session, 'HeapProfiler.startSampling', { samplingInterval });
  // A failed start is reported per request, not as an unhandled rejection. (A start while another
  // session samples succeeds: V8 has one sampler per isolate, and a stop from either ends it.)
  started.catch(() => {});

  const profile = async (gc: boolean): Promise<Buffer> => {
    await started;
    if (gc) await post(session, 'HeapProfiler.collectGarbage');
    const { profile: p } = await post<{ profile: SamplingProfile }>(session, 'HeapProfiler.getSamplingProfile');
    positions.apply(p);
    const now = Date.now();
    return gzipAsync(allocationPprof(p, { samplingInterval, durationMs: now - startMs, startMs }));
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      if (next) return next();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${url.pathname} (this handler serves ${path})\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('use GET\n');
      return;
    }
    if (stopped) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('heap profiling was stopped\n');
      return;
    }
    const gc = url.searchParams.get('gc') === '1';
    profile(gc).then(
      (body) => {
        // What Go's net/http/pprof sends: a binary download named after the profile.
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': 'attachment; filename="heap"',
          'Content-Length': body.length,
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        if (res.headersSent) return res.destroy();
        res.writeHead(stopped ? 503 : 500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`heap profile failed: ${(err as Error)?.message ?? String(err)}\n`);
      },
    );
  }) as HeapProfileHandler;

  Object.defineProperty(handler, 'samplingInterval', { value: samplingInterval, enumerable: true });
  let stopping: Promise<void> | undefined;
  handler.stop = () => {
    stopping ??= (async () => {
      stopped = true;
      try {
        await started;
        await post(session, 'HeapProfiler.stopSampling');
      } catch {
        // Never started, or already stopped: either way sampling is off.
      } finally {
        session.disconnect();
      }
    })();
    return stopping;
  };
  return handler;
}
