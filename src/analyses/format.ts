/**
 * Small number formats shared by the analyses' text renderers.
 */

/** Bytes as a short human figure: `812 B`, `12.3 KB`, `1.3 MB` (powers of 1024). */
export function formatBytes(n: number): string {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${v} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  v /= 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${v.toFixed(1)} ${units[u]}`;
}

/** A count with thousands separators: 12,000. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
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
