/** Loopback helpers for tests that start servers and inspectors. */
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (so parallel test files never fight over 9229). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
