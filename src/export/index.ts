/** Profiles in other tools' formats: pprof (profile.proto) and speedscope's JSON. */
export { allocationPprof, snapshotPprof, type AllocationPprofOptions } from './pprof.js';
export { allocationSpeedscope, type SpeedscopeFile, type SpeedscopeFrame } from './speedscope.js';
export { allocationStacks, type AllocationStack, type AllocationStacks } from './alloc-stacks.js';
export { dominatorStacks, MAX_STACK_DEPTH, MAX_STACKS, type DominatorStacks } from './dominator-stacks.js';
export { diffPprof, signedValue } from './pprof-diff.js';
