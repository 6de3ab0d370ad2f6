/**
 * The difference of two pprof profiles, as `go tool pprof -base old.pb.gz new.pb.gz` computes it:
 * every sample of the base negated and merged with the new profile's, stacks matched by their
 * frames (function name, file, line), not by ids, so two profiles written by different runs, or
 * by different heapy commands (`alloc --pprof`, `summary --pprof`: both inuse_objects/count and
 * inuse_space/bytes), line up. Growth is positive, shrinkage negative. Pure: bytes in, bytes out.
 */
import { gunzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';

/**
 * A decoded int64 as a number: pprof-format decodes varints as unsigned, so a negative value
 * (written as protobuf's 64-bit two's complement, as Go reads it) comes back as a bigint >= 2^63.
 */
export function signedValue(v: number | bigint | undefined): number {
  return typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : (v ?? 0);
}

/** A profile's bytes, gunzipped when they start with gzip's magic number (pprof files often are). */
function decode(bytes: Uint8Array): Profile {
  const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return Profile.decode(plain);
}

/** `type/unit` of each sample type, the key `go tool pprof` checks two profiles' compatibility by. */
function sampleTypes(p: Profile): string[] {
  const s = p.stringTable.strings;
  return p.sampleType.map((t) => `${s[Number(t.type)]}/${s[Number(t.unit)]}`);
}

/** A frame as text (name, file, line, column), the key frames of two profiles are matched by. */
interface Frame {
  readonly name: string;
  readonly file: string;
  readonly startLine: number;
  readonly line: number;
  readonly column: number;
}

/** The stacks of `p` (leaf first), each with its summed values. */
function stacksOf(p: Profile, sign: number, into: Map<string, { frames: Frame[]; values: number[] }>, width: number): void {
  const s = p.stringTable.strings;
  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const frames = new Map<number, Frame[]>();
  for (const l of p.location) {
    // A location may hold several lines (inlined frames), innermost first, as in the proto.
    frames.set(
      Number(l.id),
      l.line.map((ln) => {
        const f = fn.get(Number(ln.functionId));
        return { name: s[Number(f?.name ?? 0)] ?? '', file: s[Number(f?.filename ?? 0)] ?? '', startLine: Number(f?.startLine ?? 0), line: Number(ln.line), column: Number(ln.column) };
      }),
    );
  }
  for (const sample of p.sample) {
    const stack: Frame[] = [];
    for (const id of sample.locationId) stack.push(...(frames.get(Number(id)) ?? []));
    const key = stack.map((f) => `${f.name}\0${f.file}\0${f.line}\0${f.column}`).join('\n');
    let entry = into.get(key);
    if (!entry) into.set(key, (entry = { frames: stack, values: new Array<number>(width).fill(0) }));
    for (let i = 0; i < width; i++) entry.values[i]! += sign * signedValue(sample.value[i]);
  }
}

/**
 * `next` minus `base`: one sample per stack whose values changed (negative for shrinkage), the
 * sample types, period and default sample type of `next`. Throws an Error naming both lists when
 * the sample types differ (pprof refuses those too).
 */
export function diffPprof(base: Uint8Array, next: Uint8Array, comment = 'heapy: difference of two profiles (new minus base); negative values are shrinkage'): Uint8Array {
  const a = decode(base);
  const b = decode(next);
  const ta = sampleTypes(a);
  const tb = sampleTypes(b);
  if (ta.join() !== tb.join()) throw new Error(`the profiles have different sample types: [${ta.join(', ')}] and [${tb.join(', ')}]`);
  const width = tb.length;
  const stacks = new Map<string, { frames: Frame[]; values: number[] }>();
  stacksOf(a, -1, stacks, width);
  stacksOf(b, 1, stacks, width);

  const strings = new StringTable();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const ids = new Map<string, number>();
  const frameId = (f: Frame): number => {
    const key = `${f.name}\0${f.file}\0${f.startLine}\0${f.line}\0${f.column}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = functions.length + 1;
      ids.set(key, id);
      const name = strings.dedup(f.name);
      functions.push(new PprofFunction({ id, name, systemName: name, filename: strings.dedup(f.file), startLine: f.startLine }));
      locations.push(new Location({ id, line: [new Line({ functionId: id, line: f.line, column: f.column })] }));
    }
    return id;
  };
  const samples: Sample[] = [];
  for (const { frames, values } of stacks.values()) {
    if (values.every((v) => v === 0)) continue;
    samples.push(new Sample({ locationId: frames.map(frameId), value: values }));
  }
  const sb = b.stringTable.strings;
  const vt = (t: ValueType | undefined) => new ValueType({ type: strings.dedup(sb[Number(t?.type ?? 0)] ?? ''), unit: strings.dedup(sb[Number(t?.unit ?? 0)] ?? '') });
  return new Profile({
    sampleType: b.sampleType.map(vt),
    sample: samples,
    location: locations,
    function: functions,
    ...(b.periodType ? { periodType: vt(b.periodType) } : {}),
    period: b.period,
    comment: [strings.dedup(comment)],
    defaultSampleType: strings.dedup(sb[Number(b.defaultSampleType)] ?? ''),
    stringTable: strings,
  }).encode();
}
