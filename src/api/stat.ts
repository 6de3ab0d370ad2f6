/**
 * guppy's `.dump` / `load` of a partition's statistics: a small text format that keeps a heap's
 * table for later comparison, with no snapshot attached.
 */
import { readFileSync } from 'node:fs';
import { appendPrivate } from '../util/safe-write.js';
import { ExitCode, HeapyError, writeFailedError } from '../errors.js';
import { renderPartition, type Partition } from '../query/partition.js';
import { Printable, Text } from '../util/printable.js';

/** A partition read back from a dump file: printable and comparable, without objects. */
export class StatSet extends Printable<Partition> {
  /** The saved partition. */
  readonly partition: Partition;
  /** When it was made (seconds since the epoch, as guppy writes it). */
  readonly timeMade: number;
  constructor(partition: Partition, timeMade: number) {
    super();
    this.partition = partition;
    this.timeMade = timeMade;
  }
  /** Number of objects. */
  get count(): number {
    return this.partition.count;
  }
  /** Total size in bytes. */
  get size(): number {
    return this.partition.size;
  }
  /** The table, 10 rows. */
  override toString(): string {
    return renderPartition(this.partition);
  }
  /** The saved partition as data. */
  override toJSON(): Partition {
    return this.partition;
  }
  /** All rows. */
  get all(): Text {
    return new Text(renderPartition(this.partition, { limit: Infinity }));
  }
}

/** Appends a partition to `file` in guppy's stat format (guppy appends too). */
export function dumpStat(file: string, p: Partition, now = Date.now()): void {
  const lines = [
    '.loader: _load_stat',
    '.format: SetFormat',
    `.timemade: ${(now / 1000).toFixed(6)}`,
    `.count: ${p.count}`,
    `.size: ${p.size}`,
    '.kindname: ',
    `.kindheader: ${p.header}`,
    `.numrows: ${p.rows.length}`,
    ...p.rows.map((r) => `.r: ${r.count} ${r.size} ${r.label.trim()}`),
    '.end: .loader: _load_stat',
    '',
  ];
  try {
    // Created 0600 when new; appended to only if it is a regular file of this user's (safe-write.ts).
    appendPrivate(file, lines.join('\n'));
  } catch (err) {
    throw writeFailedError(file, err);
  }
}

/** Reads the stat records of a dump file; `index` picks one (default: the last). */
export function loadStat(file: string, index = -1): StatSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HeapyError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ExitCode.fileNotFound);
  }
  const records: StatSet[] = [];
  let cur: { header: string; count: number; size: number; time: number; rows: { key: number; label: string; count: number; size: number }[] } | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    const m = /^\.(\w+): ?(.*)$/.exec(line);
    if (!m) throw new HeapyError(`${file}:${n + 1}: not a heapy/guppy stat dump`, ExitCode.badInput);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'loader') {
      cur = { header: '', count: 0, size: 0, time: 0, rows: [] };
    } else if (!cur) {
      throw new HeapyError(`${file}:${n + 1}: a record must start with .loader`, ExitCode.badInput);
    } else if (key === 'timemade') cur.time = Number(value);
    else if (key === 'count') cur.count = Number(value);
    else if (key === 'size') cur.size = Number(value);
    else if (key === 'kindheader') cur.header = value;
    else if (key === 'r') {
      const r = /^(\d+) (\d+) (.*)$/.exec(value);
      if (!r) throw new HeapyError(`${file}:${n + 1}: bad row`, ExitCode.badInput);
      cur.rows.push({ key: cur.rows.length, count: Number(r[1]), size: Number(r[2]), label: r[3]! });
    } else if (key === 'end') {
      records.push(new StatSet({ header: cur.header, count: cur.count, size: cur.size, rows: cur.rows }, cur.time));
      cur = null;
    }
  }
  if (records.length === 0) throw new HeapyError(`${file}: no stat records in it`, ExitCode.badInput);
  const r = records[index < 0 ? records.length + index : index];
  if (!r) throw new HeapyError(`${file}: has ${records.length} records, not ${index}`, ExitCode.badInput);
  return r;
}
