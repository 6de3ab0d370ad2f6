/**
 * What Linux's /proc tells about a process without touching it: owner, command line, executable,
 * RSS, run state, and which TCP ports its sockets listen on (and who else holds a port).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** One process as /proc describes it. */
export interface ProcInfo {
  readonly pid: number;
  /** Real uid of the process (from /proc/<pid>/status). */
  readonly uid: number;
  /** argv as the process currently shows it (process.title may have rewritten it). */
  readonly cmdline: readonly string[];
  /** Target of /proc/<pid>/exe, or null when not readable (another user's process, a kernel thread). */
  readonly exe: string | null;
  /** Resident set size in bytes. */
  readonly rssBytes: number;
  /** One-letter state from /proc/<pid>/stat: R, S, D, T (stopped), t (traced), Z ... */
  readonly state: string;
}

/** A listening TCP socket. */
export interface ListeningSocket {
  /** Local address as text: "127.0.0.1", "0.0.0.0", "::1", "::". */
  readonly address: string;
  readonly port: number;
  readonly inode: number;
}

/** Reads a process from /proc; returns null when there is no such process. */
export function readProc(pid: number): ProcInfo | null {
  let status: string;
  let stat: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const uidLine = /^Uid:\s+(\d+)/m.exec(status);
  const rssLine = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  // The comm field is in parentheses and may itself contain spaces or ')': the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  let cmdline: string[] = [];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmdline.at(-1) === '') cmdline.pop();
  } catch {
    // vanished meanwhile; keep an empty command line
  }
  let exe: string | null = null;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    exe = null;
  }
  return {
    pid,
    uid: uidLine ? Number(uidLine[1]) : -1,
    cmdline,
    exe,
    rssBytes: rssLine ? Number(rssLine[1]) * 1024 : 0,
    state: state || '?',
  };
}

/**
 * True when the process has a handler installed for signal `signo` (the SigCgt mask in
 * /proc/<pid>/status). A Node process installs its SIGUSR1 handler early during startup; before
 * that, SIGUSR1's default action terminates it.
 */
export function catchesSignal(pid: number, signo: number): boolean {
  try {
    const m = /^SigCgt:\s+([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(signo - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** All pids currently in /proc, ascending. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name)) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

// Executable names Node ships under: node, nodejs (Debian), node20 / node-20.1 (version managers).
const NODE_NAME = /^node(js)?([-_]?v?\d+(\.\d+)*)?$/;

/** True when the process runs a Node.js binary, judged by its executable or, failing that, argv[0]. */
export function isNodeProcess(info: ProcInfo): boolean {
  if (info.exe !== null) {
    // "/usr/bin/node (deleted)" after an upgrade is still node.
    return NODE_NAME.test(basename(info.exe.replace(/ \(deleted\)$/, '')));
  }
  const argv0 = info.cmdline[0];
  return argv0 !== undefined && NODE_NAME.test(basename(argv0));
}

/** Inodes of the sockets a process has open (from the socket:[inode] links in /proc/<pid>/fd). */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // fd closed between readdir and readlink
    }
  }
  return inodes;
}

// State 0A is TCP_LISTEN in include/net/tcp_states.h.
const TCP_LISTEN = '0A';

/** Every listening TCP socket in the network namespace of `pid` (or of heapy when pid is omitted). */
export function listeningSockets(pid?: number): ListeningSocket[] {
  const base = pid === undefined ? '/proc/net' : `/proc/${pid}/net`;
  const out: ListeningSocket[] = [];
  for (const [file, v6] of [['tcp', false], ['tcp6', true]] as const) {
    let text: string;
    try {
      text = readFileSync(`${base}/${file}`, 'latin1');
    } catch {
      continue; // no IPv6 in this kernel, or the process is gone
    }
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i]!.trim().split(/\s+/);
      if (c.length < 10 || c[3] !== TCP_LISTEN) continue;
      const [addrHex, portHex] = c[1]!.split(':') as [string, string];
      out.push({ address: v6 ? ipv6FromProc(addrHex) : ipv4FromProc(addrHex), port: parseInt(portHex, 16), inode: Number(c[9]) });
    }
  }
  return out;
}

/** The listening sockets that belong to `pid` itself. */
export function listeningSocketsOf(pid: number): ListeningSocket[] {
  const mine = socketInodes(pid);
  return listeningSockets(pid).filter((s) => mine.has(s.inode));
}

/** Finds the pid holding a socket inode by scanning /proc/<pid>/fd; null when it is not visible to us. */
export function socketOwner(inode: number): number | null {
  const target = `socket:[${inode}]`;
  for (const pid of listPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // gone
      }
    }
  }
  return null;
}

// /proc/net/tcp prints each 32-bit word of the address in host byte order (little-endian here).
function ipv4FromProc(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function ipv6FromProc(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    bytes.push(word & 255, (word >>> 8) & 255, (word >>> 16) & 255, (word >>> 24) & 255);
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    return bytes.slice(12).join('.'); // IPv4-mapped
  }
  const text = groups.join(':');
  // Compress the longest zero run once, as inet_ntop does, enough for "::" and "::1".
  const m = /(^|:)0(:0)+(:|$)/.exec(text);
  return m ? text.replace(/(^|:)0(:0)+(:|$)/, '::') : text;
}

/** Where a Node process will put (or has put) its inspector, from its command line and NODE_OPTIONS. */
export interface InspectAddress {
  readonly host: string;
  /** 0 means "any free port" (`--inspect-port=0`): the real port is known only after it opens. */
  readonly port: number;
}

// Node options whose value is the next argv element (when not given with '='); enough of them to
// find where node's own options end and the script's argv begins.
const OPTIONS_WITH_VALUE = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print',
  '--inspect-port', '--debug-port', '--title', '--env-file', '-C', '--conditions', '--input-type',
  '--stack-trace-limit', '--heapsnapshot-signal', '--diagnostic-dir', '--redirect-warnings',
]);

/** Parses node's inspector options; the default is 127.0.0.1:9229, as in Node's docs. */
export function inspectAddress(cmdline: readonly string[], nodeOptions = ''): InspectAddress {
  let host = '127.0.0.1';
  let port = 9229;
  const apply = (value: string): void => {
    // Forms: "9230", "host:9230", "[::1]:9230", "host" (only with --inspect=host? not valid), "0".
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
    if (m) {
      host = m[1] ?? m[2] ?? host;
      port = Number(m[3]);
    } else if (/^\d+$/.test(value)) port = Number(value);
    else if (value) host = value;
  };
  const scan = (args: readonly string[], stopAtScript: boolean): void => {
    for (let i = stopAtScript ? 1 : 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--') break;
      if (!a.startsWith('-')) {
        if (stopAtScript) break;
        continue;
      }
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      const inlineValue = eq < 0 ? undefined : a.slice(eq + 1);
      if (name === '--inspect' || name === '--inspect-brk' || name === '--inspect-wait') {
        if (inlineValue !== undefined) apply(inlineValue);
      } else if (name === '--inspect-port' || name === '--debug-port') {
        const v = inlineValue ?? args[++i];
        if (v !== undefined) apply(v);
      } else if (inlineValue === undefined && OPTIONS_WITH_VALUE.has(name)) {
        i++;
      }
    }
  };
  // NODE_OPTIONS is applied first; explicit command-line options override it.
  scan(nodeOptions.split(/\s+/).filter(Boolean), false);
  scan(cmdline, true);
  return { host, port };
}

/** NODE_OPTIONS from the process environment, or '' when unset or unreadable. */
export function nodeOptionsOf(pid: number): string {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const entry = env.find((e) => e.startsWith('NODE_OPTIONS='));
    return entry ? entry.slice('NODE_OPTIONS='.length) : '';
  } catch {
    return '';
  }
}

/** The command line as one line of text for messages and tables. */
export function commandText(info: ProcInfo): string {
  return info.cmdline.join(' ') || `[pid ${info.pid}]`;
}
