/** The query layer: heap sets, relations, partitions and paths (pure, over a HeapSnapshot). */
export { HeapSet, PathList, MoreRows, RefPattern, idMark, type NodeView } from './heapset.js';
export { kindTable, type KindTable } from './kinds.js';
export { partition, renderPartition, partitionTitle, type Partition, type PartitionRow, type Relation, type Classification, type RenderOptions } from './partition.js';
export { byKind, byType, bySize, byReferrers, byVia, byViaReference, byModule, byLocation, byProducer, byUnity, combine, relationByName, relations } from './relations.js';
export { shortestPathEdges, renderPath, edgeStep, nodeBrief, edgeSource } from './paths.js';
export { referencePattern, renderReferencePattern, type RefPatRow, type RefPatOptions } from './refpat.js';
export { StatSet, dumpStat, loadStat } from './stat.js';
