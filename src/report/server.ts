/**
 * `heapy serve`'s HTTP server: the report page, backed by JSON queries to the loaded snapshot so
 * that any object can be opened (references, referrers, path, what it keeps alive) and any row
 * of any partition expanded, in a snapshot too big to pre-render.
 *
 * It listens on the loopback interface only unless told otherwise, and answers only requests whose
 * Host header names the loopback (a web page elsewhere cannot reach it by DNS rebinding). Loopback
 * is not private (every local user can connect), so every request must also carry the server's
 * secret, as `?token=` (the printed URL has it) or in the `x-heapy-token` header (the page's own
 * API calls): a header rather than a cookie, since cookies ignore the port and would be sent to
 * any other local user's server on 127.0.0.1 too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExitCode, HeapyError } from '../errors.js';
import { secretChecker } from '../util/secrets.js';
import { byKind, partition, type ClassKeys, type Partition } from '../query/index.js';
import { HeapSet } from '../api/index.js';
import type { HeapSnapshot } from '../snapshot/index.js';
import { renderReportHtml } from './html.js';
import { RelationScope, reportRelation, type ReportData, type ReportOptions, type RowDetail } from './model.js';
import { incomingEdges, objectDetail, objectRef, outgoingEdges, pathHops } from './objects.js';
import { dominatedPage } from './tree.js';

/** Where and how to listen. */
export interface ServeOptions {
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Allow a non-loopback host. Without it such a host is refused. */
  readonly allowRemote?: boolean;
  /** The limits the report was built with (so row indexes match). */
  readonly reportOptions?: ReportOptions;
  /**
   * The secret every request must carry (`?token=` or the `x-heapy-token` header); null serves
   * anyone who can connect, and must be asked for explicitly.
   */
  readonly token: string | null;
}

/** A running report server. */
export interface ReportServer {
  /** The page's address with its token, e.g. http://127.0.0.1:41234/?token=... */
  readonly url: string;
  /** The address without the token, e.g. http://127.0.0.1:41234/. */
  readonly origin: string;
  /** The port listened on. */
  readonly port: number;
  readonly server: Server;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Largest page a client may ask for: a row of a 1 M-element array must not be sent in one go. */
const MAX_LIMIT = 500;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function intParam(url: URL, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `${name} must be a whole number`);
  return Math.min(n, max);
}

/** Serves the queries of the page over one snapshot. Exported for tests of the JSON API. */
export class ReportApi {
  private readonly snap: HeapSnapshot;
  private readonly scope: RelationScope;
  private readonly html: string;
  private readonly data: ReportData;
  // Partitions are recomputed on demand (a row click); keep the last few (each holds a key per object).
  private readonly partitions = new Map<string, { ords: Uint32Array; partition: Partition; keys: ClassKeys }>();

  constructor(snap: HeapSnapshot, data: ReportData, reportOptions: ReportOptions = {}) {
    this.snap = snap;
    this.data = { ...data, live: true };
    this.scope = new RelationScope(snap, HeapSet.all(snap), reportOptions);
    this.html = renderReportHtml(this.data);
  }

  private ordinal(raw: string | undefined): number {
    const id = Number(raw);
    if (!raw || !Number.isInteger(id) || id < 0) throw new HttpError(400, `bad object id '${raw ?? ''}'`);
    const ord = this.snap.ordinalOfId(id);
    if (ord < 0) throw new HttpError(404, `no object @${id} in this snapshot`);
    return ord;
  }

  private partitionOf(name: string): { ords: Uint32Array; partition: Partition; keys: ClassKeys } {
    const hit = this.partitions.get(name);
    if (hit) return hit;
    const relation = reportRelation(name);
    if (!relation) throw new HttpError(400, `unknown relation '${name}'`);
    const { ords } = this.scope.ordinalsFor(name);
    const { partition: p, keys } = partition(this.snap, ords, relation);
    const entry = { ords, partition: p, keys };
    if (this.partitions.size >= 3) this.partitions.delete(this.partitions.keys().next().value!);
    this.partitions.set(name, entry);
    return entry;
  }

  private row(url: URL): RowDetail {
    const name = url.searchParams.get('relation') ?? 'kind';
    const index = intParam(url, 'index', 0);
    const limit = intParam(url, 'limit', 20, MAX_LIMIT);
    const { ords, partition: p, keys } = this.partitionOf(name);
    const row = p.rows[index];
    if (!row) throw new HttpError(404, `row ${index} is out of range: the partition has ${p.rows.length} rows`);
    const members: number[] = [];
    for (let j = 0; j < ords.length; j++) if (keys[j] === row.key) members.push(ords[j]!);
    const set = Uint32Array.from(members);
    const sub = partition(this.snap, set, byKind).partition;
    const r = this.snap.retainedSize;
    // The largest by retained size without sorting the whole row: keep a small sorted list.
    const top: number[] = [];
    for (const o of set) {
      if (top.length >= limit && r[o]! <= r[top[top.length - 1]!]!) continue;
      let at = top.length;
      while (at > 0 && r[top[at - 1]!]! < r[o]!) at--;
      top.splice(at, 0, o);
      if (top.length > limit) top.length = limit;
    }
    return {
      relation: name,
      index,
      label: row.label.trim(),
      count: row.count,
      size: row.size,
      byKind: sub.rows.slice(0, 50).map((x) => ({ label: x.label, count: x.count, size: x.size })),
      largest: top.map((o) => {
        const { text, hops } = pathHops(this.snap, o);
        return { ...objectRef(this.snap, o), path: text, hops, distance: this.snap.distance[o]! };
      }),
    };
  }

  /** Answers one GET: the page, or a JSON query. Throws HttpError for client errors. */
  answer(url: URL): { type: string; body: string } {
    const parts = url.pathname.split('/').filter(Boolean);
    const json = (v: unknown) => ({ type: 'application/json; charset=utf-8', body: JSON.stringify(v) });
    if (parts.length === 0 || (parts.length === 1 && parts[0] === 'index.html')) return { type: 'text/html; charset=utf-8', body: this.html };
    if (parts[0] !== 'api') throw new HttpError(404, 'not found');
    const what = parts[1];
    const id = parts[2];
    const offset = intParam(url, 'offset', 0);
    const limit = intParam(url, 'limit', 50, MAX_LIMIT);
    switch (what) {
      case 'report':
        return json(this.data);
      case 'object':
        return json(objectDetail(this.snap, this.ordinal(id), intParam(url, 'neighbours', 20, MAX_LIMIT)));
      case 'edges':
        return json(outgoingEdges(this.snap, this.ordinal(id), offset, limit));
      case 'retainers':
        return json(incomingEdges(this.snap, this.ordinal(id), offset, limit));
      case 'dominated':
        return json(dominatedPage(this.snap, this.ordinal(id), offset, limit));
      case 'path':
        return json(pathHops(this.snap, this.ordinal(id)));
      case 'row':
        return json(this.row(url));
      default:
        throw new HttpError(404, 'not found');
    }
  }
}

/** Listens on `server`, turning the usual failures into HeapyErrors. */
function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new HeapyError(`port ${port} on ${host} is already in use (try --port 0 for any free port)`, ExitCode.portTaken));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new HeapyError(`cannot listen on ${host}: ${err.code}`, ExitCode.addressUnavailable));
      else if (err.code === 'EACCES') reject(new HeapyError(`not allowed to listen on ${host}:${port}`, ExitCode.permissionDenied));
      else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
}

/**
 * Checks that `host:port` can be bound, before minutes of loading a snapshot (the real listen
 * comes later; a port taken in between still fails then, with the same error).
 */
export async function checkListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listen(probe, host, port);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Starts the server; throws HeapyError for an unsafe host or a taken port. */
export async function startReportServer(snap: HeapSnapshot, data: ReportData, options: ServeOptions): Promise<ReportServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  if (!loopback && !options.allowRemote) {
    throw new HeapyError(
      `refusing to listen on ${host}: the page shows the whole heap (strings, keys, tokens) to whoever connects; ` +
        'pass --allow-remote to do it anyway',
      ExitCode.unsafeListen,
    );
  }
  const api = new ReportApi(snap, data, options.reportOptions);
  const tokenOk = options.token === null ? null : secretChecker(options.token);
  let port = options.port ?? 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      res.end(body);
    };
    const fail = (status: number, message: string) => send(status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
    if (req.method !== 'GET') return fail(405, 'only GET');
    // DNS-rebinding guard: a loopback server answers only to loopback host names.
    const hostHeader = req.headers.host ?? '';
    const name = hostHeader.replace(/:\d+$/, '');
    if (loopback && !isLoopback(name)) return fail(403, `host '${hostHeader}' is not the loopback`);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      return fail(400, 'bad URL');
    }
    // Nothing of the heap (not even the page, which embeds the report) without the secret.
    const header = req.headers['x-heapy-token'];
    if (tokenOk && !tokenOk(typeof header === 'string' ? header : url.searchParams.get('token'))) {
      return fail(403, 'this server needs its token: open the URL heapy serve printed (…/?token=…)');
    }
    try {
      const { type, body } = api.answer(url);
      send(200, type, body);
    } catch (err) {
      if (err instanceof HttpError) fail(err.status, err.message);
      else if (err instanceof HeapyError) fail(400, err.message);
      else fail(500, (err as Error)?.message ?? String(err));
    }
  });
  await listen(server, host, port);
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}/`;
  return {
    url: options.token === null ? origin : `${origin}?token=${encodeURIComponent(options.token)}`,
    origin,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
