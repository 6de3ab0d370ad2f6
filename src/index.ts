/**
 * heapy's library API. Named exports only.
 * @packageDocumentation
 */
export { ExitCode, HeapyError, SnapshotFormatError } from './errors.js';
