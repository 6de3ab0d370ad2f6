/** The query layer: kinds, relations, partitions, paths and set algebra (pure, over a HeapSnapshot). */
export { kindTable, type KindTable } from './kinds.js';
export { partition, renderPartition, partitionTitle, type Partition, type PartitionRow, type Relation, type Classification, type ClassKeys, type RenderOptions } from './partition.js';
export { byKind, byType, bySize, byReferrers, byVia, byViaReference, byModule, byLocation, byProducer, byUnity, combine, relationByName, relations } from './relations.js';
export { shortestPathEdges, renderPath, edgeStep, nodeBrief, edgeSource } from './paths.js';
export { referencePattern, renderReferencePattern, type RefPatRow, type RefPatOptions } from './refpat.js';
export { byIdRelation, byIdPartition, mergeOrdinals, ordinalsOfMarks, reachableOrdinals } from './sets.js';
