/**
 * pprof's profile.proto (https://github.com/google/pprof/blob/main/proto/profile.proto) for
 * Pyroscope, Parca and `go tool pprof`: the sampling heap profile of `heapy alloc`, and a snapshot's
 * dominator tree by kind. Encoded by pprof-format; pure: data in, bytes out (uncompressed: pprof
 * tools read both plain and gzipped files).
 */
import { fileURLToPath } from 'node:url';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import type { SamplingProfile, SiteFrame } from '../monitor/alloc.js';
import type { HeapSnapshot } from '../snapshot/index.js';
import { allocationStacks } from './alloc-stacks.js';
import { dominatorStacks, MAX_STACK_DEPTH, MAX_STACKS } from './dominator-stacks.js';

/** Options of {@link allocationPprof}. */
export interface AllocationPprofOptions {
  /** Bytes between samples the profiler ran with (the profile's period). */
  samplingInterval: number;
  /** Milliseconds the sampling window lasted. */
  durationMs: number;
  /** When the window started, in ms since the epoch (injected, so that output is reproducible). */
  startMs: number;
}

/** A script URL as pprof's file name: file: URLs as paths (what `go tool pprof -list` opens), others as they are. */
function fileName(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

/** The tables of a profile under construction: one Function and one Location per frame. */
class ProfileTables {
  readonly strings = new StringTable();
  readonly functions: PprofFunction[] = [];
  readonly locations: Location[] = [];

  /** Adds a frame; its Location and Function ids are both the returned id. */
  addFrame(name: string, file: string, line: number, column: number): number {
    const id = this.functions.length + 1;
    const filename = this.strings.dedup(file);
    const n = this.strings.dedup(name);
    this.functions.push(new PprofFunction({ id, name: n, systemName: n, filename, startLine: line }));
    this.locations.push(new Location({ id, line: [new Line({ functionId: id, line, column })] }));
    return id;
  }

  /** The profile: sample types inuse_objects (count) and inuse_space (bytes), period in bytes. */
  profile(samples: Sample[], period: number, comments: string[], extra: { timeNanos?: bigint; durationNanos?: bigint } = {}): Uint8Array {
    const s = this.strings;
    const p = new Profile({
      sampleType: [new ValueType({ type: s.dedup('inuse_objects'), unit: s.dedup('count') }), new ValueType({ type: s.dedup('inuse_space'), unit: s.dedup('bytes') })],
      sample: samples,
      location: this.locations,
      function: this.functions,
      periodType: new ValueType({ type: s.dedup('space'), unit: s.dedup('bytes') }),
      period,
      comment: comments.map((c) => s.dedup(c)),
      defaultSampleType: s.dedup('inuse_space'),
      ...extra,
      stringTable: s,
    });
    return p.encode();
  }
}

/**
 * The sampling heap profile as pprof: one sample per call path holding live sampled bytes, values
 * [live samples, live sampled bytes], locations leaf first, each frame a Function (name, file,
 * start line) with a Line at the function's line and column (V8 positions a frame at its
 * function's start, see monitor/alloc.ts). Values are the sampled bytes as V8 reports them, not
 * scaled up by the interval, so totals match `heapy alloc`'s table.
 */
export function allocationPprof(profile: SamplingProfile, opts: AllocationPprofOptions): Uint8Array {
  const flat = allocationStacks(profile);
  const t = new ProfileTables();
  const ids = flat.frames.map((f: SiteFrame) => t.addFrame(f.functionName, fileName(f.url), f.line, f.column));
  const samples = flat.stacks.map((st) => {
    const loc: number[] = [];
    for (let i = st.frames.length - 1; i >= 0; i--) loc.push(ids[st.frames[i]!]!);
    return new Sample({ locationId: loc, value: [st.count, st.bytes] });
  });
  return t.profile(samples, opts.samplingInterval, [`heapy alloc: V8 sampling heap profile, live sampled objects, one sample per ${opts.samplingInterval} bytes allocated on average`], {
    timeNanos: BigInt(Math.round(opts.startMs)) * 1_000_000n,
    durationNanos: BigInt(Math.round(opts.durationMs)) * 1_000_000n,
  });
}

/**
 * A snapshot as pprof (see dominator-stacks.ts): a sample per distinct chain of kinds down the
 * dominator tree, values [objects, self bytes], so that a flame graph's frame totals are retained
 * sizes by kind and holder. Frames are kinds: no file or line. Period 1: every object is counted.
 */
export function snapshotPprof(snap: HeapSnapshot): Uint8Array {
  const st = dominatorStacks(snap);
  const t = new ProfileTables();
  // Location id per frame index, 0 until used: only the kinds that appear get a Function.
  const ids = new Int32Array(st.frameNames.length);
  const samples: Sample[] = [];
  // Node 0 (the empty stack) holds objects only when the trie filled up at once.
  for (let n = 0; n < st.size; n++) {
    if (st.count[n] === 0) continue;
    const loc: number[] = [];
    for (let m = n; m > 0; m = st.parent[m]!) {
      const f = st.frame[m]!;
      let id = ids[f]!;
      if (id === 0) ids[f] = id = t.addFrame(st.frameNames[f]!, '', 0, 0);
      loc.push(id);
    }
    samples.push(new Sample({ locationId: loc, value: [st.count[n]!, st.bytes[n]!] }));
  }
  const comments = [
    `heapy summary: ${st.totalCount} reachable objects, ${st.totalBytes} bytes, by chains of kinds down the dominator tree (self sizes; a frame's total is what that holder retains)`,
    `stacks deeper than ${MAX_STACK_DEPTH} frames keep the outermost ${MAX_STACK_DEPTH - 2}, then '(deeper dominators)', then the object's kind`,
  ];
  if (st.folded > 0) comments.push(`${st.folded} objects counted in their holder's stack: more than ${MAX_STACKS} distinct stacks`);
  return t.profile(samples, 1, comments);
}
