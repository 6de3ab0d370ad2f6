/**
 * What every block of the page shares: the data, the objects it can open, and the side panel.
 * Made once by the entry and handed to each block, instead of page-wide globals.
 */
import type { ReportData, SnapshotInfo } from '../model.js';
import { createInspector, type Inspector } from './inspector.js';
import { ObjectStore } from './live.js';

/** The page being drawn. */
export interface Page {
  readonly data: ReportData;
  /** True under `heapy serve`: rows, objects and tree levels can be fetched. */
  readonly live: boolean;
  /** The snapshot the tables describe (the last one given). */
  readonly main: SnapshotInfo;
  /** Bytes that shares of "the heap" are taken of; never 0. */
  readonly heapSize: number;
  readonly objects: ObjectStore;
  readonly inspector: Inspector;
}

/** The shared state of a page showing `data`. */
export function createPage(data: ReportData): Page {
  const main = data.snapshots[data.snapshots.length - 1];
  if (!main) throw new Error('the report has no snapshot');
  return {
    data,
    live: data.live === true,
    main,
    heapSize: main.reachableSize || main.totalSize || 1,
    objects: new ObjectStore(data),
    inspector: createInspector(),
  };
}
