/**
 * The report as ONE self-contained HTML file: the data as an inert JSON script element, the page
 * script and stylesheet inline, and a Content-Security-Policy that allows nothing else to load
 * (no network, no fonts, no images from outside; `heapy serve` additionally allows fetches to
 * its own origin).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bundleModules } from './bundle.js';
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

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** The page script and its CSP hash, bundled on first use (a few ms) and kept for the process. */
let boot: { readonly text: string; readonly hash: string } | undefined;

/**
 * The page's one script: the compiled client (client/main.js beside this file, built by
 * src/report/client/tsconfig.json) and what it imports, which reads the embedded data and draws
 * the page.
 */
function bootScript(): { readonly text: string; readonly hash: string } {
  if (boot) return boot;
  const read = (url: URL): string => {
    try {
      return readFileSync(url, 'utf8');
    } catch (err) {
      throw new Error(`report bundle: cannot read ${url.pathname} (the client is compiled by src/report/client/tsconfig.json in npm run build)`, { cause: err });
    }
  };
  const text = bundleModules(new URL('./client/main.js', import.meta.url), 'start', new URL('../', import.meta.url), read);
  // Inside a script element these would end it or switch the parser's state (HTML's script data rules).
  if (/<\/script|<!--/i.test(text)) throw new Error('report bundle: the page script contains "</script" or "<!--"');
  boot = { text, hash: sha256(text) };
  return boot;
}

/** Renders the report page. With `data.live`, the policy also lets the page fetch from its own origin. */
export function renderReportHtml(data: ReportData): string {
  const script = bootScript();
  // Only the boot script may run (pinned by its hash); style attributes set from script are allowed.
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${script.hash}'`,
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
<script>${script.text}</script>
</body>
</html>
`;
}
