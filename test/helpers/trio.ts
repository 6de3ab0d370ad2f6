/** Test programs that write base, target and final snapshots (test/programs/trio.mjs), run a few at a time. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runNode } from './run.js';
import { repoRoot } from './snapshots.js';

/**
 * A function that runs `fn` with at most `slots` such calls at once (the machine has two cores,
 * and a program writing snapshots keeps one busy).
 */
export function limiter(slots = 2): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (free === 0) await new Promise<void>((r) => waiting.push(r));
    else free--;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * Runs test/programs/<program> with a fresh directory `work/name` and `args`, through `limited`;
 * resolves to the directory, where the program wrote its snapshots.
 */
export function programSnapshots(limited: ReturnType<typeof limiter>, work: string, name: string, program: string, args: string[] = []): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  return limited(async () => {
    const r = await runNode([join(repoRoot, 'test', 'programs', program), dir, ...args], work);
    if (r.code !== 0) throw new Error(`${program} exited with ${r.code}: ${r.stderr}`);
    return dir;
  });
}
