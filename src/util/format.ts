/**
 * The one place numbers become text for people: bytes, counts, durations, guppy's `%g`, and the
 * axis ticks of every chart (terminal plots, SVG, the report page). It imports nothing, so every
 * floor may use it, the report's browser code included.
 *
 * Bytes use binary units and say so (KiB, MiB, GiB: powers of 1024), with one decimal; below
 * 1 KiB the exact count. A byte count with its exact value belongs in machine output (--json).
 */

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes as a short figure: `812 B`, `12.3 KiB`, `1.3 MiB`, `-4.0 GiB` (powers of 1024). */
export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${v} B`;
  v /= 1024;
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${v.toFixed(1)} ${BYTE_UNITS[u]}`;
}

/** Bytes with an explicit sign for a change: `+1.5 MiB`, `-812 B`, `0 B`. */
export function formatDeltaBytes(n: number): string {
  return n > 0 ? `+${formatBytes(n)}` : formatBytes(n);
}

/** A count with thousands separators: `12,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A duration in milliseconds as people read it: `850 ms`, `1.5 s`, `2 min 5 s`, `1 h 2 min`.
 * Below a minute one decimal of a second at most; above, whole units.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** A share as a percentage for tables: `42`, `4.2`, `<0.1`, `0`. */
export function formatPercent(part: number, whole: number): string {
  if (!whole) return '0';
  const p = (100 * part) / whole;
  const a = Math.abs(p);
  return a >= 10 ? p.toFixed(0) : a >= 0.05 ? p.toFixed(1) : p === 0 ? '0' : '<0.1';
}

/**
 * C's `%.<p>g` (what guppy's `'%9.3g'` prints): `p` significant digits, trailing zeros dropped,
 * exponent form when the exponent is below -4 or at least `p`.
 */
export function formatG(x: number, p = 6): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (x === 0) return '0';
  const exp = Number(x.toExponential(p - 1).split('e')[1]);
  if (exp < -4 || exp >= p) {
    const [mant, e] = x.toExponential(p - 1).split('e') as [string, string];
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, p - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/**
 * Round axis ticks for [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, about `count` of
 * them, from the first multiple of the step at or above `lo`. With `cover`, the ticks go on to the
 * first one at or above `hi` (the top of the data stays inside the axis); without, they stop at `hi`.
 */
export function niceTicks(lo: number, hi: number, count: number, cover = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  const eps = step * 1e-9;
  for (let v = Math.ceil((lo - eps) / step) * step; cover ? out.length === 0 || out[out.length - 1]! < hi - eps : v <= hi + eps; v += step) {
    out.push(Math.round(v / step) * step + 0); // + 0: no -0 tick from rounding just below zero
  }
  return out;
}

/** Ticks for a byte axis from 0 to `hi`, round in the unit the labels show (0, 50 MiB, 100 MiB). */
export function byteTicks(hi: number, count = 5): number[] {
  const unit = hi >= 1073741824 ? 1073741824 : hi >= 1048576 ? 1048576 : hi >= 1024 ? 1024 : 1;
  return niceTicks(0, hi / unit, count, true).map((v) => v * unit);
}
