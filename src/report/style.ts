/**
 * The report page's stylesheet (inlined into the page; no external fonts or files). Colours are
 * CSS variables with a dark variant; text colours keep at least 4.5:1 contrast on their background
 * (muted grey #566170 on white is 6.3:1, the accent #2747b8 is 7.5:1).
 */

/** The CSS of the report page. */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f5f5f2;
  --surface: #ffffff;
  --surface-2: #f0f1ee;
  --text: #1c2127;
  --muted: #566170;
  --border: #dfe1e4;
  --accent: #2747b8;
  --accent-soft: #e7ecfb;
  --bar: #9db2ef;
  --bar-2: #d6def8;
  --grow: #a3261d;
  --shrink: #1d6b43;
  --focus: #d9480f;
  --shadow: 0 1px 2px rgba(20, 24, 30, .06), 0 4px 16px rgba(20, 24, 30, .05);
  --sans: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  --mono: ui-monospace, "SF Mono", SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121418;
    --surface: #1b1e24;
    --surface-2: #23272e;
    --text: #e7e9ec;
    --muted: #a5adb8;
    --border: #2f343c;
    --accent: #9db4ff;
    --accent-soft: #232f4f;
    --bar: #3f5aa8;
    --bar-2: #2a3553;
    --grow: #ff948a;
    --shrink: #6fd6a0;
    --focus: #ffa94d;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; scroll-padding-top: 72px; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 var(--sans); font-feature-settings: "kern", "liga";
}
a { color: var(--accent); }
code, .mono { font-family: var(--mono); font-size: .9em; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
.skip { position: absolute; left: 12px; top: -60px; background: var(--surface); padding: 8px 12px; border-radius: 8px; z-index: 30; }
.skip:focus { top: 12px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted { color: var(--muted); }

/* Masthead */
.masthead { background: var(--surface); border-bottom: 1px solid var(--border); }
.masthead-inner { max-width: 1320px; margin: 0 auto; padding: 28px 32px 22px; }
.brand { font-size: 12px; letter-spacing: .14em; text-transform: uppercase; color: var(--muted); font-weight: 600; }
.brand b { color: var(--accent); }
h1 { font-size: 30px; line-height: 1.2; margin: 6px 0 4px; font-weight: 650; letter-spacing: -.01em; overflow-wrap: anywhere; }
.subtitle { color: var(--muted); margin: 0; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px; margin-top: 22px; }
.stat { background: var(--surface-2); border-radius: 10px; padding: 12px 16px; min-width: 0; }
.stat .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; font-weight: 600; }
.stat .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.3; }
.stat .note { font-size: 13px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }

/* Navigation */
nav.sections { position: sticky; top: 0; z-index: 5; background: color-mix(in srgb, var(--bg) 92%, transparent); backdrop-filter: blur(6px); border-bottom: 1px solid var(--border); }
nav.sections ul { list-style: none; margin: 0 auto; padding: 0 24px; max-width: 1320px; display: flex; gap: 4px; overflow-x: auto; }
nav.sections a { display: block; padding: 12px 12px; color: var(--muted); text-decoration: none; font-weight: 550; white-space: nowrap; border-bottom: 2px solid transparent; }
nav.sections a:hover, nav.sections a[aria-current="true"] { color: var(--text); border-bottom-color: var(--accent); }

main { max-width: 1320px; margin: 0 auto; padding: 8px 32px 64px; }
section.block { margin-top: 36px; }
section.block > header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 12px; }
h2 { font-size: 21px; margin: 0; font-weight: 650; letter-spacing: -.005em; }
h3 { font-size: 16px; margin: 0 0 8px; font-weight: 650; }
.lede { color: var(--muted); margin: 0; max-width: 70ch; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: 12px; box-shadow: var(--shadow); }
.card.pad { padding: 16px 18px; }

/* Controls */
.toolbar { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 12px 14px; border-bottom: 1px solid var(--border); }
.segmented { display: inline-flex; flex-wrap: wrap; background: var(--surface-2); border-radius: 9px; padding: 3px; gap: 2px; }
.segmented button { border: 0; background: transparent; color: var(--muted); font: inherit; font-size: 14px; font-weight: 550; padding: 5px 11px; border-radius: 7px; cursor: pointer; }
.segmented button[aria-pressed="true"] { background: var(--surface); color: var(--text); box-shadow: 0 1px 2px rgba(0,0,0,.12); }
.segmented button:hover { color: var(--text); }
input[type="search"], input[type="text"] { font: inherit; font-size: 14px; padding: 6px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--surface); color: var(--text); min-width: 220px; }
button.link { border: 0; background: none; padding: 0; font: inherit; color: var(--accent); cursor: pointer; text-align: left; }
button.link:hover { text-decoration: underline; }
button.plain { font: inherit; font-size: 14px; border: 1px solid var(--border); background: var(--surface); color: var(--text); border-radius: 8px; padding: 5px 12px; cursor: pointer; }
button.plain:hover { border-color: var(--accent); }
.scope-note { font-size: 13px; color: var(--muted); padding: 8px 14px; border-bottom: 1px solid var(--border); background: var(--surface-2); }

/* Tables */
.table-wrap { overflow: auto; max-height: 640px; }
table.data { width: 100%; border-collapse: separate; border-spacing: 0; font-size: 14px; }
table.data th { position: sticky; top: 0; background: var(--surface); z-index: 1; text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; border-bottom: 1px solid var(--border); padding: 0; white-space: nowrap; }
table.data th.num { text-align: right; }
table.data th button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: 9px 10px; cursor: pointer; }
table.data th button:focus-visible { outline: 3px solid var(--focus); outline-offset: -3px; }
table.data th[aria-sort="ascending"] button::after { content: " ▲"; }
table.data th[aria-sort="descending"] button::after { content: " ▼"; }
table.data td { padding: 6px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.data tbody tr { cursor: pointer; }
table.data tbody tr:hover td { background: var(--accent-soft); }
table.data tbody tr:focus { outline: none; }
table.data tbody tr:focus td { background: var(--accent-soft); box-shadow: inset 0 2px 0 var(--focus), inset 0 -2px 0 var(--focus); }
table.data tbody tr:focus td:first-child { box-shadow: inset 3px 0 0 var(--focus), inset 0 2px 0 var(--focus), inset 0 -2px 0 var(--focus); }
table.data td.label { width: 48%; overflow-wrap: anywhere; }
table.data td.pct { color: var(--muted); font-size: 13px; }
.sizebar { position: relative; }
.sizebar .bar { position: absolute; left: 0; top: 50%; height: 6px; margin-top: 8px; background: var(--bar); border-radius: 3px; opacity: .8; }
.table-foot { padding: 9px 14px; font-size: 13px; color: var(--muted); }
.kindname { font-weight: 600; }
.preview { color: var(--muted); font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
.idtag { font-family: var(--mono); font-size: 12px; color: var(--muted); }

/* Paths */
.path { font-family: var(--mono); font-size: 12.5px; line-height: 1.7; overflow-wrap: anywhere; }
.path .hop { padding: 0 1px; border-radius: 3px; }
.path button.hop { border: 0; background: transparent; font: inherit; color: var(--accent); cursor: pointer; }
.path button.hop:hover { background: var(--accent-soft); }
.path .sep { color: var(--muted); opacity: .6; }
.path .root { color: var(--muted); }
.path .target { font-weight: 700; color: var(--text); }
pre.pathtext { margin: 6px 0 0; padding: 8px 10px; background: var(--surface-2); border-radius: 8px; font-family: var(--mono); font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }

/* Kinds */
.kinds { display: grid; grid-template-columns: minmax(220px, 300px) 1fr; gap: 0; }
.kinds .kindlist { border-right: 1px solid var(--border); max-height: 720px; overflow: auto; padding: 6px; }
.kinds .kindlist button { display: grid; grid-template-columns: 1fr auto; gap: 8px; width: 100%; text-align: left; border: 0; background: transparent; font: inherit; font-size: 14px; color: var(--text); padding: 7px 10px; border-radius: 7px; cursor: pointer; }
.kinds .kindlist button:hover { background: var(--surface-2); }
.kinds .kindlist button[aria-selected="true"] { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.kinds .kindlist .k { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.kinds .detail { padding: 14px 18px; min-width: 0; }
.kinds .instance { padding: 10px 0; border-bottom: 1px solid var(--border); }
.figures { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 4px 0 10px; font-size: 14px; }
.figures div span { color: var(--muted); margin-right: 6px; }

/* Treemap */
.treemap-card { padding: 0; overflow: hidden; }
.crumbs { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; padding: 10px 14px; border-bottom: 1px solid var(--border); font-size: 14px; }
.crumbs button { border: 0; background: none; font: inherit; color: var(--accent); cursor: pointer; padding: 2px 4px; border-radius: 4px; }
.crumbs button:hover { background: var(--accent-soft); }
.crumbs .here { font-weight: 650; padding: 2px 4px; }
.crumbs .spacer { flex: 1; }
svg.treemap { display: block; width: 100%; height: auto; font-family: var(--sans); }
svg.treemap .tile rect.box { stroke: var(--surface); stroke-width: 2; }
svg.treemap .tile { cursor: pointer; }
svg.treemap .tile:hover rect.box, svg.treemap .tile:focus rect.box { stroke: var(--focus); stroke-width: 3; }
svg.treemap .tile:focus { outline: none; }
svg.treemap text { fill: #1c2127; pointer-events: none; }
svg.treemap text.t1 { font-size: 13px; font-weight: 650; }
svg.treemap text.t2 { font-size: 12px; }
svg.treemap text.t3 { font-size: 11px; }
svg.treemap text.dim { fill: #3d4550; }
svg.treemap rect.group { stroke-dasharray: 5 3; }
svg.treemap rect.inner { stroke: rgba(255,255,255,.75); stroke-width: 1; fill-opacity: .5; pointer-events: none; }
.legend-note { padding: 8px 14px; font-size: 13px; color: var(--muted); border-top: 1px solid var(--border); }

/* Hints, leaks, diff */
.hint { display: grid; grid-template-columns: 150px 1fr; gap: 18px; padding: 16px 18px; border-bottom: 1px solid var(--border); }
.hint:last-child { border-bottom: 0; }
.stake .value { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stake .of { font-size: 12px; color: var(--muted); }
.stake .meter { height: 6px; background: var(--surface-2); border-radius: 3px; margin-top: 6px; overflow: hidden; }
.stake .meter div { height: 100%; background: var(--grow); }
.hint p { margin: 4px 0 8px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { font-family: var(--mono); font-size: 12px; border: 1px solid var(--border); background: var(--surface-2); color: var(--text); border-radius: 999px; padding: 2px 9px; cursor: pointer; }
.chip:hover { border-color: var(--accent); }
.delta-up { color: var(--grow); font-weight: 600; }
.delta-down { color: var(--shrink); font-weight: 600; }
.cluster { padding: 16px 18px; border-bottom: 1px solid var(--border); }
.cluster-head { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
.badge { font-size: 12px; font-weight: 600; border-radius: 999px; padding: 1px 9px; background: var(--surface-2); color: var(--muted); }
.badge.grow { background: color-mix(in srgb, var(--grow) 14%, transparent); color: var(--grow); }
ul.details { margin: 0 0 8px; padding-left: 18px; color: var(--muted); font-size: 13.5px; }
.cluster:last-child { border-bottom: 0; }

/* Graph */
.graph-view { overflow: auto; max-height: 760px; padding: 12px; background: var(--surface); }
.graph-view svg { max-width: 100%; height: auto; }
.graph-view.actual svg { max-width: none; }
@media (prefers-color-scheme: dark) { .graph-view { background: #fbfbf9; } }

/* Timeline */
svg.chart { display: block; width: 100%; height: auto; font-family: var(--sans); font-size: 12px; }
svg.chart .grid line { stroke: var(--border); }
svg.chart .axis text { fill: var(--muted); }
svg.chart .mark line { stroke: var(--muted); stroke-dasharray: 4 3; }
svg.chart .mark text { fill: var(--text); font-size: 11.5px; }
svg.chart .gc { stroke: var(--muted); opacity: .5; }
svg.chart .cursor { stroke: var(--text); opacity: .35; }
.chart-readout { font-size: 13px; color: var(--muted); padding: 6px 14px 12px; min-height: 2.2em; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 6px; border-radius: 2px; }

/* Inspector */
#inspector { position: fixed; top: 0; right: 0; bottom: 0; width: min(640px, 100vw); background: var(--surface); border-left: 1px solid var(--border); box-shadow: -12px 0 32px rgba(0,0,0,.12); z-index: 20; display: flex; flex-direction: column; transform: translateX(105%); transition: transform .18s ease-out; visibility: hidden; }
#inspector.open { transform: none; visibility: visible; }
#inspector .bar { display: flex; align-items: center; gap: 10px; padding: 12px 16px; border-bottom: 1px solid var(--border); }
#inspector .bar h2:focus { outline: none; }
#inspector .bar h2 { flex: 1; font-size: 17px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#inspector .body { overflow: auto; padding: 14px 18px 40px; flex: 1; }
#inspector section { margin-top: 18px; }
#inspector h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
#inspector table.data td { padding: 5px 8px; }
.loading { color: var(--muted); font-style: italic; }
.error { color: var(--grow); }
footer.page { max-width: 1320px; margin: 0 auto; padding: 0 32px 40px; color: var(--muted); font-size: 13px; }
@media (max-width: 800px) {
  .masthead-inner, main, footer.page { padding-left: 16px; padding-right: 16px; }
  .kinds { grid-template-columns: 1fr; }
  .kinds .kindlist { border-right: 0; border-bottom: 1px solid var(--border); max-height: 240px; }
  .hint { grid-template-columns: 1fr; }
}
@media print { nav.sections, #inspector { display: none; } }
@media (prefers-reduced-motion: reduce) { #inspector { transition: none; } }
`;
