/**
 * The manhole: a REPL server inside a running Node app (`startManhole`) and the pieces
 * `heapy connect` uses to talk to it.
 */
export { startManhole, type ManholeOptions, type ManholeHandle, type ManholeAddress } from './server.js';
