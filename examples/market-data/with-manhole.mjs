// The demo service with a manhole built in, as the README's tour shows it: the service itself is
// service.mjs, unchanged; this file adds the few lines an app adds to get a REPL inside itself.
// MANHOLE_PORT picks the port (default 9999). A manhole that cannot start (the port is taken)
// is logged and the service runs on without one.
import { startManhole } from '../../dist/src/index.js'; // in an app: from 'heapy'
import './service.mjs';

const service = globalThis.service;
const hub = service._hub;
try {
  const manhole = await startManhole({ port: Number(process.env.MANHOLE_PORT ?? 9999), namespace: { service, hub } }); // 127.0.0.1 only
  console.log('manhole at', manhole.addresses);
} catch (err) {
  console.error(`no manhole: ${err.message}`); // the service runs on without one
}
