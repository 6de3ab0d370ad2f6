/**
 * The step before every heap snapshot that keeps V8 from stalling on big scripts.
 *
 * V8 11.3 (Node 20) gives every closure of a snapshot its source position, through
 * Script::GetPositionInfo, which needs the script's line-ends table; a script that has none yet
 * gets it computed inside the snapshot, once per closure's lookup for some paths. In a process
 * that loaded one big single-file script (the TypeScript compiler's 9 MB typescript.js, bundled
 * servers) this took over 240 s with the target frozen (measured: `heapy snapshot` of a process
 * that had type-checked with the compiler). `Debugger.enable` computes line ends for every
 * script once (227 ms there); `Debugger.disable` right after leaves the debugger as it was for
 * this session. The same snapshot then took 5.5 s.
 */

/** The inspector commands to send, in order, before HeapProfiler.takeHeapSnapshot. */
export const LINE_ENDS_WARMUP = ['Debugger.enable', 'Debugger.disable'] as const;
