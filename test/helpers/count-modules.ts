/**
 * Preloaded with `node --import` to count the modules of heapy's own that a command loads: a
 * module loader hook reports every `dist/src/` URL it loads, and the count is written to stderr
 * as `heapy-modules: N` when the process exits.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const urls = new Set<string>();
port1.on('message', (url: string) => urls.add(url));
port1.unref();
const hooks = `let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) {
  if (url.includes('/dist/src/')) port.postMessage(url);
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => process.stderr.write(`heapy-modules: ${urls.size}\n`));
