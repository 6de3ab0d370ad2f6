// objgraph's show_growth through heapy's in-process session: the first h.growth() lists every
// kind, the second only what rose since, here 3000 Widget objects kept by the program.
// Prints the second report as JSON on stdout. Imports heapy from the build.
const { hpy } = await import(new URL('../../dist/src/api/hpy.js', import.meta.url).href);

class Widget {
  constructor(i) {
    this.i = i;
    this.tag = 0;
  }
}

const h = hpy();
const first = await h.growth(0);
globalThis.keep = [];
for (let i = 0; i < 3000; i++) globalThis.keep.push(new Widget(i));
const second = await h.growth();
const third = await h.growth();
h.close();
process.stdout.write(JSON.stringify({ first: first.rows.length, second: second.rows, text: String(second), third: third.rows }) + '\n');
