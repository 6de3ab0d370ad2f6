// An attach target whose own server listens on the port its inspector would open on (its
// --inspect-port, or 9229): the port given as argv[2]. With argv[3] = "reset" it is a TCP server
// that resets every connection (a GET /json/list then fails with ECONNRESET), else an HTTP server
// answering plain text. It knows nothing about heapy; it prints {"pid":..., "port":...} once listening.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

const port = Number(process.argv[2] ?? 9229);
const server =
  process.argv[3] === 'reset'
    ? createTcpServer((socket) => socket.resetAndDestroy())
    : createHttpServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('my own service\n');
      });
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ pid: process.pid, port }) + '\n');
});
setInterval(() => {}, 1000);
