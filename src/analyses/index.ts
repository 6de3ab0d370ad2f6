/** Leak hunting over heap snapshots: diffs, three-snapshot leaks, growth, back-reference graphs and advice. */
export { diffSets, diffById, diffPartitions, renderDiff, renderDiffTable, renderIdDiff, HeapDiff, type DiffData, type DiffRow, type DiffSide, type IdDiffRow } from './diff.js';
export { findLeaks, renderLeaks, type LeakCluster, type LeakObject, type LeakOptions, type LeakReport } from './leaks.js';
export { backrefChain, mostCommonKinds, kindCounts, trackGrowth, renderGrowth, GrowthTracker, GrowthReport, KindCountList, BackrefChain, type BackrefChainData, type GrowthRow, type KindCount, type ChainLink } from './growth.js';
export { backrefGraph, toDot, dotToSvg, HeapGraph, type GraphOptions, type GraphNode, type GraphEdge, type BackrefGraphData } from './graph.js';
export { findHints, renderHints, HintList, type Hint, type HintObject, type HintOptions, type HintRule } from './hints.js';
export { pathTree, treePath, type PathTree } from './spt.js';
