/**
 * The HTML view of `heapy alloc --html`: a flame view (icicle layout, outermost caller on top) of the
 * sampled live bytes by call path, drawn as hand-written SVG, and the table of allocation sites.
 * Self-contained: no script, no network.
 */
import { formatBytes } from '../util/format.js';
import { formatLocation, type AllocationReport, type ProfileNode, type SamplingProfile } from './alloc.js';
import { xmlEscape } from './plot.js';

/** Options of {@link renderAllocHtml}. */
export interface AllocHtmlOptions {
  title?: string;
  cwd?: string;
  /** Sites listed in the table (default 50). */
  top?: number;
}

interface Box {
  node: ProfileNode;
  total: number;
  depth: number;
  x: number;
}

function totals(root: ProfileNode): Map<ProfileNode, number> {
  const out = new Map<ProfileNode, number>();
  // Post-order without recursion: deep recursive programs make deep profiles.
  const stack: Array<[ProfileNode, boolean]> = [[root, false]];
  while (stack.length > 0) {
    const [n, done] = stack.pop() as [ProfileNode, boolean];
    if (done) {
      let t = n.selfSize;
      for (const c of n.children) t += out.get(c) ?? 0;
      out.set(n, t);
    } else {
      stack.push([n, true]);
      for (const c of n.children) stack.push([c, false]);
    }
  }
  return out;
}

/** A stable colour per frame: warm for application code, blue for Node's internals, grey for V8's pseudo-frames. */
function colorOf(n: ProfileNode): string {
  const cf = n.callFrame;
  let h = 0;
  for (let i = 0; i < cf.functionName.length; i++) h = (h * 31 + cf.functionName.charCodeAt(i)) >>> 0;
  const j = h % 30;
  if (!cf.url) return `hsl(0, 0%, ${70 + (j % 10)}%)`;
  if (cf.url.startsWith('node:')) return `hsl(${200 + j}, 45%, ${72 + (j % 8)}%)`;
  return `hsl(${10 + j}, 80%, ${60 + (j % 12)}%)`;
}

/** The flame view of a profile as an SVG element. */
export function renderFlameSvg(profile: SamplingProfile, opts: { width?: number; cwd?: string } = {}): string {
  const W = opts.width ?? 1200;
  const rowH = 18;
  const tot = totals(profile.head);
  const rootTotal = tot.get(profile.head) ?? 0;
  const scale = rootTotal > 0 ? W / rootTotal : 0;
  const boxes: Box[] = [];
  let maxDepth = 0;
  const stack: Box[] = [{ node: profile.head, total: rootTotal, depth: 0, x: 0 }];
  while (stack.length > 0) {
    const b = stack.pop() as Box;
    // Frames narrower than a third of a pixel are not drawn (nor their children): invisible anyway.
    if (b.total * scale < 0.3) continue;
    boxes.push(b);
    if (b.depth > maxDepth) maxDepth = b.depth;
    let x = b.x;
    const kids = [...b.node.children].sort((p, q) => (tot.get(q) ?? 0) - (tot.get(p) ?? 0));
    for (const c of kids) {
      const t = tot.get(c) ?? 0;
      if (t <= 0) continue;
      stack.push({ node: c, total: t, depth: b.depth + 1, x });
      x += t * scale;
    }
  }
  const H = (maxDepth + 1) * rowH + 2;
  const out: string[] = [];
  out.push(`<svg class="flame" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  for (const b of boxes) {
    const cf = b.node.callFrame;
    const name = cf.functionName || (b.depth === 0 ? '(root)' : '(anonymous)');
    const w = b.total * scale;
    const y = b.depth * rowH;
    const loc = cf.url ? formatLocation({ functionName: name, url: cf.url, line: cf.lineNumber + 1, column: cf.columnNumber + 1 }, opts.cwd) : '';
    const tip = `${name}${loc ? ' ' + loc : ''}\n${formatBytes(b.total)} (${((b.total / rootTotal) * 100).toFixed(1)}%) live, ${formatBytes(b.node.selfSize)} allocated here`;
    // About 6.2 px per character at 11 px.
    const chars = Math.floor((w - 6) / 6.2);
    const label = chars >= 3 ? (name.length > chars ? name.slice(0, chars - 1) + '…' : name) : '';
    out.push(
      `<g class="frame"><title>${xmlEscape(tip)}</title><rect x="${b.x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 1}" fill="${colorOf(b.node)}" rx="1"/>` +
        (label ? `<text x="${(b.x + 3).toFixed(2)}" y="${y + 13}">${xmlEscape(label)}</text>` : '') +
        '</g>',
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The full `heapy alloc --html` page: summary, flame view, and the table of sites with their paths. */
export function renderAllocHtml(profile: SamplingProfile, report: AllocationReport, opts: AllocHtmlOptions = {}): string {
  const title = opts.title ?? 'heapy alloc';
  const top = opts.top ?? 50;
  const out: string[] = [];
  out.push('<!doctype html>');
  out.push('<html lang="en"><head><meta charset="utf-8">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push(`<title>${xmlEscape(title)}</title>`);
  out.push(`<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; } .meta { color: #555; font-size: 0.9em; }
.flame text { pointer-events: none; fill: #111; }
.flame rect { stroke: #fff; stroke-width: 0.5; }
.flame g.frame:hover rect { stroke: #000; stroke-width: 1; }
.wrap { overflow-x: auto; border: 1px solid #eee; }
table { border-collapse: collapse; margin-top: 1em; font-size: 0.85em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
td { white-space: nowrap; } td.fn, td.loc, td.path, th.l { text-align: left; } td.path { color: #555; max-width: 50em; white-space: normal; }
</style></head><body>`);
  out.push(`<h1>${xmlEscape(title)}</h1>`);
  out.push(
    `<p class="meta">${formatBytes(report.totalBytes)} of live objects sampled (${report.totalSamples} samples, one per ${formatBytes(report.samplingInterval)} allocated on average) ` +
      `over ${(report.durationMs / 1000).toFixed(1)} s, in ${report.sites.length} allocation sites. Widths are live sampled bytes; the outermost caller is on top. ` +
      `Hover a frame for its figures. Lines are where each function starts.</p>`,
  );
  out.push(`<div class="wrap">${renderFlameSvg(profile, opts.cwd !== undefined ? { cwd: opts.cwd } : {})}</div>`);
  out.push('<table class="sites"><thead><tr><th>#</th><th>live bytes</th><th>%</th><th>samples</th><th class="l">function</th><th class="l">location</th><th class="l">call path</th></tr></thead><tbody>');
  report.sites.slice(0, top).forEach((s, i) => {
    const path = s.path.map((f) => f.functionName).join(' › ');
    out.push(
      `<tr><td>${i}</td><td>${formatBytes(s.bytes)}</td><td>${(s.share * 100).toFixed(1)}</td><td>${s.samples}</td>` +
        `<td class="fn">${xmlEscape(s.functionName)}</td><td class="loc">${xmlEscape(formatLocation(s, opts.cwd))}</td><td class="path">${xmlEscape(path)}</td></tr>`,
    );
  });
  out.push('</tbody></table></body></html>');
  return out.join('\n') + '\n';
}
