/**
 * speedscope's own file format (https://www.speedscope.app/file-format-schema.json) for the
 * sampling heap profile of `heapy alloc`: one "sampled" profile whose weights are live sampled
 * bytes. Pure: profile in, JSON text out.
 */
import type { SamplingProfile } from '../monitor/alloc.js';
import { allocationStacks } from './alloc-stacks.js';

/** A frame of speedscope's shared table (line and col 1-based, left out when unknown). */
export interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
  col?: number;
}

/** speedscope's FileFormat.File, restricted to what heapy writes. */
export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  name: string;
  exporter: string;
  activeProfileIndex: number;
  shared: { frames: SpeedscopeFrame[] };
  profiles: Array<{
    type: 'sampled';
    name: string;
    unit: 'bytes';
    startValue: number;
    endValue: number;
    /** Stacks of frame indexes, outermost first. */
    samples: number[][];
    weights: number[];
  }>;
}

/** The profile in speedscope's format; `name` titles it, `exporter` names the writer (e.g. heapy@0.1.0). */
export function allocationSpeedscope(profile: SamplingProfile, name: string, exporter: string): SpeedscopeFile {
  const flat = allocationStacks(profile);
  const frames = flat.frames.map((f): SpeedscopeFrame => (f.url ? { name: f.functionName, file: f.url, line: f.line || undefined, col: f.column || undefined } : { name: f.functionName }));
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    name,
    exporter,
    activeProfileIndex: 0,
    shared: { frames },
    profiles: [
      {
        type: 'sampled',
        name: `${name}: live sampled bytes`,
        unit: 'bytes',
        startValue: 0,
        endValue: flat.totalBytes,
        samples: flat.stacks.map((s) => s.frames),
        weights: flat.stacks.map((s) => s.bytes),
      },
    ],
  };
}
