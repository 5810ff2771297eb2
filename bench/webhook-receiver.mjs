// A local webhook receiver that accepts everything (bench/activation.mjs): reads each body whole
// and answers 204. Run as its own process, so it never competes with the sender's event loop.
// Prints `port <n>` once listening; `stats` on stdin prints `requests <n> bytes <n>`.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (c) => {
    bytes += c.length;
  });
  req.on('end', () => {
    requests += 1;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stats') console.log(`requests ${requests} bytes ${bytes}`);
  if (line === 'reset') {
    requests = 0;
    bytes = 0;
    console.log('reset');
  }
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
