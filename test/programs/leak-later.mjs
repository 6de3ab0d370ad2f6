// A program that idles until SIGUSR2, then leaks about 10 MB/s (2,000 objects with strings every
// 20 ms, kept in a global array) for HEAPY_TEST_SECONDS (default 60) seconds. Tests of triggered
// captures start leaking once the monitor is attached, so that a threshold is crossed after
// recording began however slow the machine is. Prints "ready" when it waits for the signal.
globalThis.leaked = [];
const seconds = Number(process.env.HEAPY_TEST_SECONDS ?? 60);
const idle = setInterval(() => {}, 1000);
process.on('SIGUSR2', () => {
  const timer = setInterval(() => {
    for (let i = 0; i < 2000; i++) globalThis.leaked.push({ i, s: `leaked-${i}-${Date.now()}` });
  }, 20);
  setTimeout(() => {
    clearInterval(timer);
    clearInterval(idle);
  }, seconds * 1000);
});
// HEAPY_TEST_OWN_SAMPLER=1: the program runs its own sampling heap profiler (another tool's, as
// far as heapy is concerned) and says on SIGHUP whether it still runs.
if (process.env.HEAPY_TEST_OWN_SAMPLER === '1') {
  const { Session } = await import('node:inspector');
  const own = new Session();
  own.connect();
  await new Promise((resolve, reject) => own.post('HeapProfiler.startSampling', { samplingInterval: 65536 }, (err) => (err ? reject(err) : resolve())));
  process.on('SIGHUP', () => {
    own.post('HeapProfiler.getSamplingProfile', (err) => process.stdout.write(`own sampler: ${err ? 'stopped' : 'running'}\n`));
  });
}
process.stdout.write('ready\n');
