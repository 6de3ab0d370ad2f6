/**
 * A tiny builder for hand-made heap snapshots: name nodes, connect them, get the .heapsnapshot text.
 * Lets tests state a graph in a few lines and assert exact dominators, distances and owners.
 */

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

interface BNode {
  type: string;
  name: string;
  size: number;
  id: number;
  edges: { type: string; name: string | number; to: string }[];
}

/** Builds a snapshot graph. Node 0 is the synthetic root, created for you as "root". */
export class SnapshotBuilder {
  private nodes = new Map<string, BNode>();
  private nextId = 1;

  constructor() {
    this.node('root', 'synthetic', '', 0);
  }

  /** Adds a node under a test-local key. */
  node(key: string, type: string, name: string, size: number): this {
    if (!NODE_TYPES.includes(type)) throw new Error(`bad node type ${type}`);
    this.nodes.set(key, { type, name, size, id: this.nextId, edges: [] });
    this.nextId += 2;
    return this;
  }

  /** Adds an edge from → to. Element and hidden edges take a number for their name. */
  edge(from: string, to: string, type = 'property', name: string | number = to): this {
    if (!EDGE_TYPES.includes(type)) throw new Error(`bad edge type ${type}`);
    const n = this.nodes.get(from);
    if (!n || !this.nodes.has(to)) throw new Error(`unknown node in edge ${from} -> ${to}`);
    n.edges.push({ type, name, to });
    return this;
  }

  /** Node ordinals by key, in insertion order. */
  ordinals(): Map<string, number> {
    return new Map([...this.nodes.keys()].map((k, i) => [k, i]));
  }

  /** The V8 id given to a key. */
  id(key: string): number {
    return this.nodes.get(key)!.id;
  }

  /** The snapshot as .heapsnapshot JSON text, in V8's layout (one record a line). */
  toJSON(options: { omitDetachedness?: boolean } = {}): string {
    const strings: string[] = [''];
    const index = new Map<string, number>([['', 0]]);
    const str = (s: string) => {
      let i = index.get(s);
      if (i === undefined) {
        i = strings.length;
        strings.push(s);
        index.set(s, i);
      }
      return i;
    };
    const ord = this.ordinals();
    const nodeFields = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id'];
    if (!options.omitDetachedness) nodeFields.push('detachedness');
    const nf = nodeFields.length;
    const nodes: string[] = [];
    const edges: string[] = [];
    let edgeCount = 0;
    for (const n of this.nodes.values()) {
      const rec = [NODE_TYPES.indexOf(n.type), str(n.name), n.id, n.size, n.edges.length, 0];
      if (!options.omitDetachedness) rec.push(0);
      nodes.push(rec.join(','));
      for (const e of n.edges) {
        const name = e.type === 'element' || e.type === 'hidden' ? Number(e.name) : str(String(e.name));
        edges.push([EDGE_TYPES.indexOf(e.type), name, ord.get(e.to)! * nf].join(','));
        edgeCount++;
      }
    }
    const meta = {
      node_fields: nodeFields,
      node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
      edge_fields: ['type', 'name_or_index', 'to_node'],
      edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
      location_fields: ['object_index', 'script_id', 'line', 'column'],
    };
    return (
      `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${this.nodes.size},"edge_count":${edgeCount}},\n` +
      `"nodes":[${nodes.join('\n,')}],\n"edges":[${edges.join('\n,')}],\n"locations":[],\n` +
      `"strings":[${strings.map((s) => JSON.stringify(s)).join(',\n')}]}`
    );
  }
}
