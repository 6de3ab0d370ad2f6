/**
 * What the page asks of `heapy serve` (src/report/server.ts answers): objects, pages of edges,
 * dominated children and partition rows, as JSON from the page's own origin (the only place its
 * Content-Security-Policy lets it connect to). A saved report file never fetches. Each request
 * carries the server's token from the page's own URL (`?token=`) in a header.
 */
import type { DominatedPage, EdgePage, ObjectDetail, ReportData, RowDetail } from '../model.js';

/** The token `heapy serve` put in the page's URL, or null (a server started without one). */
function serverToken(): string | null {
  return new URLSearchParams(location.search).get('token');
}

/** GETs one JSON answer; a failed request throws with the server's own message when it sent one. */
async function api<T>(path: string): Promise<T> {
  const token = serverToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers['x-heapy-token'] = token;
  const res = await fetch(path, { headers });
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try {
      const body = (await res.json()) as { error?: unknown };
      if (typeof body.error === 'string' && body.error) msg = body.error;
    } catch {
      // Not JSON (a proxy's error page): the status line says enough.
    }
    throw new Error(msg);
  }
  return (await res.json()) as T;
}

/** Which neighbours of an object a page of edges lists. */
export type EdgeDirection = 'edges' | 'retainers';

/** The next `limit` edges of object `id` from `offset`, largest first. */
export function fetchEdges(which: EdgeDirection, id: number, offset: number, limit: number): Promise<EdgePage> {
  return api<EdgePage>('/api/' + which + '/' + id + '?offset=' + offset + '&limit=' + limit);
}

/** The largest `limit` objects that object `id` keeps alive. */
export function fetchDominated(id: number, limit: number): Promise<DominatedPage> {
  return api<DominatedPage>('/api/dominated/' + id + '?limit=' + limit);
}

/** Row `index` of the partition by `relation`, by kind, with its largest objects. */
export function fetchRow(relation: string, index: number): Promise<RowDetail> {
  return api<RowDetail>('/api/row?relation=' + encodeURIComponent(relation) + '&index=' + index);
}

/**
 * The objects the page knows: those embedded in the report, and under `heapy serve` any other,
 * fetched when first opened (and embedded ones again, to get their edges).
 */
export class ObjectStore {
  private readonly known: Map<string, ObjectDetail>;
  /** True under `heapy serve`: every object can be opened. */
  readonly live: boolean;

  constructor(data: ReportData) {
    this.known = new Map(Object.entries(data.objects));
    this.live = data.live === true;
  }

  /** An object the report embeds (or that was fetched already), without fetching. */
  get(id: number): ObjectDetail | undefined {
    return this.known.get(String(id));
  }

  /** Whether opening `id` can show something (0 stands for aggregate tiles, never an object). */
  canOpen(id: number): boolean {
    return id !== 0 && (this.live || this.known.has(String(id)));
  }

  /** The object with its edges: from the report, or fetched; null when a saved report lacks it. */
  async load(id: number): Promise<ObjectDetail | null> {
    const key = String(id);
    const have = this.known.get(key);
    if (have && (have.edges || !this.live)) return have;
    if (!this.live) return null;
    const o = await api<ObjectDetail>('/api/object/' + encodeURIComponent(key));
    this.known.set(key, o);
    return o;
  }
}
