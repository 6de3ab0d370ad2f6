// Preloaded into capture-cost targets (node --import): answers an IPC 'figures' message with the
// figures heapy's cost guard reads over the inspector, so the bench sees what the guard would see.
import v8 from 'node:v8';
process.on('message', (m) => {
  if (m !== 'figures') return;
  process.send({ memoryUsage: process.memoryUsage(), heapStatistics: v8.getHeapStatistics(), heapSpaceStatistics: v8.getHeapSpaceStatistics() });
});
// The IPC channel must not keep a finished target alive, nor stop it from being killed.
process.channel?.unref();
