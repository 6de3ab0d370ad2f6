/**
 * Text for CDP RemoteObjects as the attach REPL prints them, close to what node's own REPL
 * would print in the target: `Order { id: 1, name: 'x' }`, `Map(1) { 'a' => 1 }`, `[ 1, 2, … ]`.
 * Works from the protocol's one-level previews only, so printing never runs code in the target.
 */
import { inspect } from 'node:util';

/** The subset of CDP's Runtime.RemoteObject used here. */
export interface RemoteObject {
  readonly type: string;
  readonly subtype?: string;
  readonly className?: string;
  readonly value?: unknown;
  readonly unserializableValue?: string;
  readonly description?: string;
  readonly objectId?: string;
  readonly preview?: ObjectPreview;
}

/** CDP's Runtime.ObjectPreview. */
export interface ObjectPreview {
  readonly type: string;
  readonly subtype?: string;
  readonly description?: string;
  readonly overflow: boolean;
  readonly properties: readonly PropertyPreview[];
  readonly entries?: readonly { key?: ObjectPreview; value: ObjectPreview }[];
}

/** CDP's Runtime.PropertyPreview. */
export interface PropertyPreview {
  readonly name: string;
  readonly type: string;
  readonly subtype?: string;
  readonly value?: string;
  readonly valuePreview?: ObjectPreview;
}

/** CDP's Runtime.ExceptionDetails (the parts printed). */
export interface ExceptionDetails {
  readonly text: string;
  readonly exception?: RemoteObject;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** One value as a line (or a few, for errors) of text. */
export function formatRemoteObject(o: RemoteObject): string {
  switch (o.type) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return inspect(String(o.value));
    case 'number':
    case 'boolean':
      return o.unserializableValue ?? String(o.value);
    case 'bigint':
      return o.unserializableValue ?? o.description ?? '?n';
    case 'symbol':
      return o.description ?? 'Symbol()';
    case 'function':
      return formatFunction(o.description ?? '', o.className);
    case 'object':
      if (o.subtype === 'null') return 'null';
      if (o.subtype === 'error') return o.description ?? 'Error';
      if (o.preview) return formatPreview(o.preview, o.className);
      return o.description ?? o.className ?? 'Object';
    default:
      return o.description ?? String(o.value);
  }
}

/** An exception thrown by an evaluation, prefixed "Uncaught" as node's REPL does. */
export function formatException(d: ExceptionDetails): string {
  if (d.exception) {
    const body = d.exception.subtype === 'error' ? (d.exception.description ?? 'Error') : formatRemoteObject(d.exception);
    return `Uncaught ${body}`;
  }
  return d.text;
}

function formatFunction(source: string, className?: string): string {
  const cls = /^class\s+([\w$]+)/.exec(source);
  if (cls) return `[class ${cls[1]}]`;
  if (source.startsWith('class')) return '[class (anonymous)]';
  const fn = /^(async\s+)?function\s*(\*?)\s*([\w$]*)/.exec(source);
  // className is "Function", "AsyncFunction", "GeneratorFunction"...: V8 knows better than the source.
  const prefix = className ?? 'Function';
  if (fn) return `[${fn[1] ? 'AsyncFunction' : fn[2] ? 'GeneratorFunction' : prefix}${fn[3] ? `: ${fn[3]}` : ' (anonymous)'}]`;
  const method = /^(async\s+)?([\w$]+)\s*\(/.exec(source);
  if (method) return `[${method[1] ? 'AsyncFunction' : 'Function'}: ${method[2]}]`;
  return `[${prefix} (anonymous)]`;
}

function propName(name: string): string {
  return IDENT.test(name) || /^\d+$/.test(name) ? name : inspect(name);
}

function previewValue(p: { type: string; subtype?: string; value?: string; description?: string; valuePreview?: ObjectPreview }): string {
  if (p.valuePreview) return formatPreview(p.valuePreview, undefined, true);
  const v = p.value ?? p.description ?? '';
  switch (p.type) {
    case 'string':
      return inspect(v);
    case 'function':
      return formatFunction(v);
    case 'object':
      if (p.subtype === 'null') return 'null';
      if (p.subtype === 'array') return `[${v}]`;
      return v === 'Object' ? '{…}' : v;
    default:
      return v;
  }
}

function formatPreview(p: ObjectPreview, className?: string, nested = false): string {
  const more = p.overflow ? ', …' : '';
  const desc = p.description ?? className ?? 'Object';
  switch (p.subtype) {
    case 'array':
    case 'typedarray': {
      const items = p.properties.filter((x) => /^\d+$/.test(x.name)).map((x) => previewValue(x));
      const extra = p.properties.filter((x) => !/^\d+$/.test(x.name)).map((x) => `${propName(x.name)}: ${previewValue(x)}`);
      const body = [...items, ...extra].join(', ') + more;
      const prefix = p.subtype === 'array' && desc.startsWith('Array(') ? '' : `${desc} `;
      return `${prefix}[${body ? ` ${body} ` : ''}]`;
    }
    case 'map':
    case 'set':
    case 'weakmap':
    case 'weakset': {
      const entries = (p.entries ?? []).map((e) =>
        e.key ? `${formatEntry(e.key)} => ${formatEntry(e.value)}` : formatEntry(e.value),
      );
      const body = entries.join(', ') + more;
      return `${desc} {${body ? ` ${body} ` : ''}}`;
    }
    case 'promise': {
      const state = p.properties.find((x) => x.name === '[[PromiseState]]');
      const result = p.properties.find((x) => x.name === '[[PromiseResult]]');
      const s = state?.value ?? 'pending';
      if (s === 'pending') return 'Promise { <pending> }';
      const r = result ? previewValue(result) : 'undefined';
      return s === 'rejected' ? `Promise { <rejected> ${r} }` : `Promise { ${r} }`;
    }
    case 'date':
    case 'regexp':
    case 'error':
    case 'node':
      return desc;
    default:
      break;
  }
  if (nested && p.properties.length === 0 && !p.overflow) return desc === 'Object' ? '{}' : `${desc} {}`;
  const body = p.properties.map((x) => `${propName(x.name)}: ${previewValue(x)}`).join(', ') + more;
  const head = desc === 'Object' ? '' : `${desc} `;
  return `${head}{${body ? ` ${body} ` : ''}}`;
}

function formatEntry(p: ObjectPreview): string {
  // Entry previews carry primitives as `description` with the type in `type`.
  if (p.type === 'object' && (p.properties.length > 0 || p.subtype)) return formatPreview(p, undefined, true);
  if (p.type === 'string') return inspect(p.description ?? '');
  return p.description ?? '';
}
