/**
 * V8 object ids and what their order means. V8 numbers heap (JS) objects from one counter in
 * steps of 2 starting odd, so a larger odd id is a younger object; embedder (native) and synthetic
 * nodes get even ids from another counter or from hashes (1,460,429,664 seen here beside a largest
 * object id of ~100,000), which say nothing about age.
 */

/** A reference point in id order: the largest JS (odd) and native (even) ids seen. */
export interface IdMark {
  /** Largest odd id: JS heap objects up to it existed at the mark. */
  readonly js: number;
  /** Largest even id: native and synthetic nodes. */
  readonly native: number;
}

/** True for the id of a V8 heap object (odd); false for native and synthetic nodes (even). */
export function isHeapObjectId(id: number): boolean {
  return id % 2 === 1;
}

/** The largest odd and even ids of a node-id column. */
export function maxIds(ids: ArrayLike<number>): IdMark {
  let js = 0;
  let native = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id % 2 === 1) {
      if (id > js) js = id;
    } else if (id > native) native = id;
  }
  return { js, native };
}

/** True when `id` is newer than the mark: above the mark's largest id of its own counter. */
export function isAfterMark(id: number, mark: IdMark): boolean {
  return id % 2 === 1 ? id > mark.js : id > mark.native;
}
