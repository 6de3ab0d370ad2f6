/**
 * The sampling heap profile as flat stacks, the form both pprof and speedscope take: one frame
 * table (a function by its source position, as `heapy alloc` reports sites) and one stack per call
 * tree node that holds live sampled bytes.
 */
import { frameOf, siteKey, type ProfileNode, type SamplingProfile, type SiteFrame } from '../monitor/alloc.js';

/** One call path that holds live sampled bytes. */
export interface AllocationStack {
  /** Indexes into {@link AllocationStacks.frames}, outermost first, ending with the allocating function. */
  frames: number[];
  /** Live sampled bytes allocated with exactly this stack (the node's selfSize). */
  bytes: number;
  /** Live samples behind `bytes` (0 when the profile carries no samples list). */
  count: number;
}

/** A sampling profile flattened into a frame table and stacks. */
export interface AllocationStacks {
  /** Distinct frames, one per {@link siteKey}. */
  frames: SiteFrame[];
  stacks: AllocationStack[];
  totalBytes: number;
  totalCount: number;
}

/** Flattens `profile`: V8's synthetic '(root)' node is left out (unless it holds bytes itself), its children are the outermost frames. */
export function allocationStacks(profile: SamplingProfile): AllocationStacks {
  const frames: SiteFrame[] = [];
  const frameIndex = new Map<string, number>();
  const countOf = new Map<number, number>();
  for (const s of profile.samples ?? []) countOf.set(s.nodeId, (countOf.get(s.nodeId) ?? 0) + 1);
  const stacks: AllocationStack[] = [];
  let totalBytes = 0;
  let totalCount = 0;
  // The call tree is a few hundred nodes deep at most (V8 caps sampled stacks at 128 frames), so
  // the recursion and the path copies for nodes that own bytes stay small.
  const path: number[] = [];
  const walk = (node: ProfileNode, depth: number): void => {
    path.length = depth;
    // '(root)' is a frame only when it holds bytes itself (so totals match allocationSites()).
    const isRoot = depth === 0 && node.callFrame.functionName === '(root)' && node.selfSize === 0;
    if (!isRoot) {
      const f = frameOf(node.callFrame);
      const key = siteKey(f);
      let i = frameIndex.get(key);
      if (i === undefined) {
        i = frames.length;
        frames.push(f);
        frameIndex.set(key, i);
      }
      path.push(i);
    }
    const d = path.length;
    if (node.selfSize > 0) {
      const count = countOf.get(node.id) ?? 0;
      stacks.push({ frames: path.slice(0, d), bytes: node.selfSize, count });
      totalBytes += node.selfSize;
      totalCount += count;
    }
    for (const c of node.children) walk(c, d);
  };
  walk(profile.head, 0);
  return { frames, stacks, totalBytes, totalCount };
}
