/** Finding the temporary files heapy writes beside a target (src/util/safe-write.ts names them). */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Paths of the temporary files beside `target`: `.<name>.<pid>.<16 hex digits>.tmp`. */
export function tempFilesOf(target: string): string[] {
  const prefix = `.${basename(target)}.`;
  return readdirSync(dirname(target))
    .filter((f) => f.startsWith(prefix) && /^\d+\.[0-9a-f]{16}\.tmp$/.test(f.slice(prefix.length)))
    .map((f) => join(dirname(target), f));
}
