/**
 * hpy(): guppy's heapy session for Node. `await h.heap()` snapshots this process through an
 * in-process inspector session, streams the chunks straight into the engine and returns a
 * HeapSet of every reachable object, minus what heapy's own code owns and minus the reference set.
 */
import { ExitCode, HeapyError, writeFailedError } from '../errors.js';
import { ReplacingFile } from '../util/safe-write.js';
import { InProcessInspector } from '../capture/inprocess.js';
import { MaxIdScanner } from '../capture/maxid.js';
import type { GuardOptions } from '../capture/cost.js';
import { HeapSnapshot, loadSnapshotFile, SnapshotParser, type IdMark, type ProgressCallback } from '../snapshot/index.js';
import { HeapSet } from './heapset.js';
import { ownedByScripts, recompiledCode } from '../query/scripts.js';
import { lostReference } from '../query/epoch.js';
import { loadStat, StatSet } from './stat.js';
import { trackGrowth, type GrowthReport } from '../analyses/growth.js';

/** Options of {@link hpy}. */
export interface HpyOptions {
  /** Progress of loading and analysis. */
  readonly onProgress?: ProgressCallback;
  /**
   * The cost guard before every snapshot of this process: `{ force: true }` skips it,
   * `{ maxTargetRss }` sets the ceiling for RSS plus the snapshot's cost. By default a snapshot
   * that would not fit in what the cgroup, RLIMIT_AS and the host leave throws captureTooCostly.
   */
  readonly guard?: Omit<GuardOptions, 'pid'>;
}

// heapy's own scripts: this file is dist/src/api/hpy.js, so dist/src/ holds them all. Whatever
// they own (their functions, closures, class instances and all these dominate) is left out of
// h.heap(): the analysis must not show itself.
const OWN_SCRIPTS = new URL('../', import.meta.url).href;

/** The objects of an in-process snapshot that heapy's own code owns (sorted ordinals), as heap() leaves out. */
export function heapyOwned(snap: HeapSnapshot): Uint32Array {
  return ownedByScripts(snap, OWN_SCRIPTS);
}

/** A heapy session over this process (or over snapshot files with load()). */
export class Hpy {
  private readonly inspector = new InProcessInspector();
  private readonly onProgress: ProgressCallback | undefined;
  private readonly guard: Omit<GuardOptions, 'pid'>;
  private ref: IdMark | null = null;
  // A marker object's id at setref(): another id after a later snapshot means V8 renumbered every
  // object since (an inspector session of another tool ended), and the reference is void. The
  // marker is young, so a renumbering (which starts again from the first id, in heap order)
  // moves it; the marker is heapy's own, so no heap() shows it.
  private readonly marker = { heapyReferenceMarker: true };
  private refMarker = 0;

  constructor(options: HpyOptions = {}) {
    this.onProgress = options.onProgress;
    this.guard = options.guard ?? {};
  }

  /** The reference point set by setref() (null: none): objects with ids up to it are left out. */
  get refId(): IdMark | null {
    return this.ref;
  }

  /** Runs a full garbage collection of this process (through the inspector: no --expose-gc needed). */
  async gc(): Promise<void> {
    await this.inspector.collectGarbage();
  }

  /** Snapshots this process after a full GC and parses it as it streams. */
  async takeSnapshot(): Promise<HeapSnapshot> {
    await this.inspector.collectGarbage();
    const parser = new SnapshotParser({ source: `pid ${process.pid}`, onProgress: this.onProgress });
    await this.inspector.takeSnapshot((chunk) => parser.write(chunk), this.guard);
    return HeapSnapshot.analyze(parser.finish(), { onProgress: this.onProgress });
  }

  /**
   * Every reachable object of this process, minus what heapy's own code owns (its functions,
   * closures and class instances, with all they dominate: sessions, snapshots, sets, compiled
   * code) and minus the objects that existed at the last setref(). After a setref, the code V8
   * recompiled since for functions that existed at it is left out too (JIT tiering, not memory
   * the application allocated).
   */
  async heap(): Promise<HeapSet> {
    const snap = await this.takeSnapshot();
    let set = HeapSet.all(snap).difference(new HeapSet(snap, heapyOwned(snap)));
    if (this.ref) {
      const now = await this.inspector.heapObjectId(this.marker);
      if (now !== this.refMarker) {
        this.ref = null;
        throw new HeapyError(`${lostReference('the reference marker', this.refMarker, now)} (h.setref())`, ExitCode.badInput);
      }
      set = set.allocatedAfter(this.ref);
      set = set.difference(new HeapSet(snap, recompiledCode(snap, set.ordinals)));
    }
    return set;
  }

  /**
   * Sets the reference point: later heap() calls show only objects allocated after this call.
   * A snapshot gives every live object its V8 id; objects allocated later get larger ids, and ids
   * stay with their objects across GCs. (HeapProfiler.getHeapObjectId only finds ids, it never
   * assigns one, so the largest id of the snapshot is the mark.)
   */
  async setref(): Promise<void> {
    // Only the ids are read (constant memory, no graph): V8's snapshot is what gives every live
    // object an id, so it cannot be skipped, but parsing and analysing it can.
    await this.inspector.collectGarbage();
    const scanner = new MaxIdScanner(`pid ${process.pid}`);
    await this.inspector.takeSnapshot((chunk) => scanner.write(chunk), this.guard);
    const js = scanner.finish();
    // Native ids carry no age (snapshot/meta.ts): no native object counts as new after a setref.
    this.ref = { js, native: 0xffffffff };
    this.refMarker = await this.inspector.heapObjectId(this.marker);
  }

  /** Forgets the reference point. */
  clearref(): void {
    this.ref = null;
  }

  /**
   * The HeapSet of the given live objects, found in a fresh snapshot by their V8 ids (asked for
   * after the snapshot, which is what gives every object its id).
   */
  async iso(...objects: object[]): Promise<HeapSet> {
    const snap = await this.takeSnapshot();
    const ids: number[] = [];
    for (const o of objects) ids.push(await this.inspector.heapObjectId(o));
    return HeapSet.ofIds(snap, ids);
  }

  /** Every reachable object of a .heapsnapshot file. */
  async load(file: string): Promise<HeapSet> {
    return HeapSet.all(await loadSnapshotFile(file, { onProgress: this.onProgress }));
  }

  /**
   * Writes a snapshot of this process to `file` (streamed; the file appears complete or not at
   * all) and returns its path.
   */
  async snapshot(file: string): Promise<string> {
    let out: ReplacingFile;
    try {
      out = ReplacingFile.create(file);
    } catch (err) {
      throw writeFailedError(file, err);
    }
    try {
      await this.inspector.collectGarbage();
      await this.inspector.takeSnapshot((chunk) => {
        out.write(chunk, 'latin1');
      }, this.guard);
      out.commit();
    } catch (err) {
      out.abort();
      throw err;
    }
    return file;
  }

  /**
   * objgraph's show_growth: snapshots the heap (as heap() does) and lists the kinds whose counts
   * rose above their peak since the last call, largest rise first (every kind on the first call).
   */
  async growth(limit = 10): Promise<GrowthReport> {
    const set = await this.heap();
    return trackGrowth(this, set.snapshot, set.ordinals, limit);
  }

  /** Reads a partition saved with `set.dump(file)` (guppy's `load`). */
  loadStat(file: string, index = -1): StatSet {
    return loadStat(file, index);
  }

  /** Closes the inspector session. */
  close(): void {
    this.inspector.close();
  }
}

/** Starts a heapy session: `const h = hpy(); await h.setref(); ...; await h.heap()`. */
export function hpy(options: HpyOptions = {}): Hpy {
  return new Hpy(options);
}
