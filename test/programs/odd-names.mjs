// A program whose heap holds names made to break printers and renderers: property names and
// strings with newlines, Graphviz's own syntax (" @1", "|", "{}", "<port>", "\l"), quotes,
// backslashes, control bytes and non-ASCII. Each name holds an OddTarget that retains a large
// array, so reports draw the graphs these names label. Writes a snapshot to argv[2] and exits.
// It knows nothing about heapy.
import v8 from 'node:v8';

export const oddNames = ['\n @1', 'a\n @1\nb', '\r\n@2\t', '"quoted" \\back\\ \\l \\N', '{a|b}<p>', '\u001b[31mred\u001b[0m', 'caf\u00e9 \u2603 \ud83d\ude00', '\u0000nul', '\ud800 lone'];

class OddTarget {
  constructor(i) {
    // One 400 KB array each: the largest holders of this heap, so `heapy report` draws them.
    this.payload = new Array(50_000 + i).fill(1.5);
  }
}

const holder = {};
oddNames.forEach((name, i) => {
  holder[name] = new OddTarget(i);
  holder[`${name} value`] = `${name}`;
});
globalThis.oddHolder = holder;
globalThis['\n @1'] = holder;
if (process.argv[2]) v8.writeHeapSnapshot(process.argv[2]);
