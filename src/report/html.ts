/**
 * The report as ONE self-contained HTML file: the data as an inert JSON script element, the page
 * script and stylesheet inline, and a Content-Security-Policy that allows nothing else to load
 * (no network, no fonts, no images from outside; `heapy serve` additionally allows fetches to
 * its own origin).
 */
import { createHash } from 'node:crypto';
import { reportPage } from './client.js';
import type { ReportData } from './model.js';
import { REPORT_CSS } from './style.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * JSON that is safe inside a script element: `<` is escaped so that a heap string containing
 * `</script>` cannot end the element, and U+2028/2029 so that old parsers do not break lines.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page's boot script: the embedded renderer applied to the embedded data. */
const BOOT = `(${reportPage.toString()})(JSON.parse(document.getElementById('heapy-data').textContent));`;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** Renders the report page. With `data.live`, the policy also lets the page fetch from its own origin. */
export function renderReportHtml(data: ReportData): string {
  // Only the boot script may run (pinned by its hash); style attributes set from script are allowed.
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(BOOT)}'`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    data.live ? "connect-src 'self'" : "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="generator" content="heapy">
<title>${escapeHtml(data.title)} · heapy</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<noscript><p style="padding:2em">This report draws its tables and charts with JavaScript; please enable it for this file.</p></noscript>
<p id="heapy-loading" style="padding:2em;font:15px system-ui,sans-serif;color:#566170">Loading the report…</p>
<script type="application/json" id="heapy-data">${scriptSafeJson(data)}</script>
<script>${BOOT}</script>
</body>
</html>
`;
}
