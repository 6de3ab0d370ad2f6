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
process.stdout.write('ready\n');
