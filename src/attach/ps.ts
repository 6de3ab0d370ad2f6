/**
 * The Node processes of this machine that the current user may attach to, with RSS and whether
 * (and where) their inspector is open. Reads /proc; the only contact with a process is one
 * GET /json/version on a port it listens on where its inspector would be.
 */
import { ExitCode, HeapyError } from '../errors.js';
import { httpGet } from './inspector.js';
import { commandText, inspectAddress, isNodeProcess, listPids, listeningSocketsOf, nodeOptionsOf, readProc } from './proc.js';

/** One row of `heapy ps`. */
export interface NodeProcessRow {
  readonly pid: number;
  readonly uid: number;
  readonly rssBytes: number;
  /** One-letter process state (T = stopped). */
  readonly state: string;
  /** "host:port" when the inspector is open, else null. */
  readonly inspector: string | null;
  /** True when a port that looks like the inspector's did not answer (a stopped process). */
  readonly inspectorUnresponsive: boolean;
  readonly command: string;
}

/** Lists attachable Node processes (own uid, or every one for root), heapy's own process excluded. */
export async function listNodeProcesses(options: { probeTimeoutMs?: number } = {}): Promise<NodeProcessRow[]> {
  const myUid = process.getuid?.() ?? -1;
  // Probes run in parallel, so this bounds the whole listing; 2 s tolerates a loaded machine.
  const probeMs = options.probeTimeoutMs ?? 2000;
  const rows: Array<Promise<NodeProcessRow>> = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const info = readProc(pid);
    if (!info || !isNodeProcess(info)) continue;
    if (myUid !== 0 && info.uid !== myUid) continue;
    rows.push(
      (async () => {
        const want = inspectAddress(info.cmdline, nodeOptionsOf(pid));
        const socks = listeningSocketsOf(pid).filter((s) => s.port === want.port);
        let inspector: string | null = null;
        let unresponsive = false;
        for (const s of socks) {
          const host = s.address === '0.0.0.0' ? '127.0.0.1' : s.address === '::' ? '::1' : s.address;
          try {
            const body = await httpGet(host, s.port, '/json/version', probeMs);
            if (/"Protocol-Version"|"Browser"/.test(body)) inspector = `${host.includes(':') ? `[${host}]` : host}:${s.port}`;
          } catch (err) {
            if (err instanceof HeapyError && err.exitCode === ExitCode.targetTimeout) unresponsive = true;
          }
          if (inspector) break;
        }
        return { pid, uid: info.uid, rssBytes: info.rssBytes, state: info.state, inspector, inspectorUnresponsive: unresponsive && !inspector, command: commandText(info) };
      })(),
    );
  }
  return Promise.all(rows);
}
