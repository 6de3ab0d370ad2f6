/**
 * Errors a user can cause, each with a one-line message and a distinct exit code.
 * The CLI (src/cli/) is the only place that turns them into output and an exit status.
 */

/** Exit codes of the `heapy` command, one per failure a user can cause. */
export const ExitCode = {
  /** Success. */
  ok: 0,
  /** An unexpected internal error (a bug in heapy); rerun with --debug for the stack. */
  internal: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** A file that does not exist or cannot be read. */
  fileNotFound: 3,
  /** A file that is not a valid .heapsnapshot (truncated, corrupted, inconsistent counts). */
  badSnapshot: 4,
  /** Input whose declared size cannot be held in memory. */
  tooLarge: 5,
  /** Bad input of another kind (a bad data file, an unknown relation, an id not in the snapshot). */
  badInput: 6,
  /** A file that could not be written. */
  writeFailed: 7,
  /** No process with that pid. */
  noSuchProcess: 10,
  /** The pid is not a Node.js process. */
  notNode: 11,
  /** The process belongs to another user. */
  permissionDenied: 12,
  /** The inspector port is already used by another process, or by a server of the target itself. */
  portTaken: 13,
  /** The target did not answer in time. */
  targetTimeout: 14,
  /** The connection to the target was lost mid-operation. */
  connectionLost: 15,
  /** The inspector refused the WebSocket connection. */
  wsRefused: 16,
  /** A capture refused because the target would not have the memory for it (see --force, --max-target-rss). */
  captureTooCostly: 17,
  /** A network listener that would be unsafe (non-loopback without allowRemote and a token). */
  unsafeListen: 20,
  /** Could not bind or connect to a manhole address. */
  addressUnavailable: 21,
  /** A rejected manhole token. */
  authFailed: 22,
  /** A browser needed for the command could not be started. */
  browserMissing: 30,
  /** `heapy leaks --fail` found a cluster that kept growing (a leak gate for CI). */
  leakFound: 40,
  /** Stopped by the user (Ctrl-C, SIGINT): 128 + 2, as shells report it. */
  cancelled: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * `text` with every control character (C0, DEL and C1: U+0000-U+001F, U+007F-U+009F) written as
 * `\xHH`, so that bytes quoted from an input file cannot drive the terminal: ESC starts an escape
 * sequence, and a latin1-decoded 0x9b is the one-byte CSI. Printable text, backslashes included,
 * is left as it is, so escaping twice changes nothing.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** An error with a one-line message meant for the user and the exit code the CLI should use. */
export class HeapyError extends Error {
  /** Exit status for the CLI. */
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HeapyError';
    this.exitCode = exitCode;
  }
}

/** A .heapsnapshot that cannot be read: names the source and, where known, the byte offset; control bytes escaped. */
export class SnapshotFormatError extends HeapyError {
  /** Byte offset in the input where the problem was found, or -1 if it is not about one place. */
  readonly offset: number;
  constructor(source: string, message: string, offset = -1, exitCode: ExitCodeValue = ExitCode.badSnapshot) {
    // The message may quote the file (a byte, a key): escaped here, once for every reader.
    super(escapeControls(`${source}: ${message}${offset >= 0 ? ` (at byte ${offset})` : ''}`), exitCode);
    this.name = 'SnapshotFormatError';
    this.offset = offset;
  }
}

/**
 * The error for a file heapy could not write: `<path>: <what> (<errno code>)`, exit code
 * writeFailed. One message shape for every output file (snapshots, reports, plots, recordings).
 */
export function writeFailedError(path: string, err: unknown, what = 'cannot write'): HeapyError {
  // errno errors name themselves by code; a refusal without one (not ours, not a regular file) by message.
  const e = err as Partial<NodeJS.ErrnoException> | undefined;
  const why = e?.code ?? (err instanceof Error ? err.message : String(err));
  return new HeapyError(`${path}: ${what} (${why})`, ExitCode.writeFailed, { cause: err });
}
