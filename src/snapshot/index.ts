/** The heap engine: parsing, the typed-array graph and its derived indexes. */
export { SnapshotParser, type ParserOptions } from './parser.js';
export type { RawSnapshot, ParsedSnapshot, ProgressCallback, TraceTree } from './raw.js';
export { HeapSnapshot, NO_NODE, NO_DISTANCE, SYSTEM_DISTANCE_BASE, RENUMBER_MIN_NODES, type AnalysisLevel, type AnalyzeOptions, type Linking, type NodeOrder, type OrderMeasure, type RenumberMode } from './graph.js';
export { loadSnapshotFile, loadSnapshotStream, type LoadOptions } from './load.js';
export type { SnapshotMeta, TypeIds } from './meta.js';
export { maxIds, isAfterMark, isHeapObjectId, type IdMark } from './meta.js';
