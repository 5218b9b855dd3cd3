// A network link of a set rate in front of a loopback registry, for the pull bench: an
// HTTP relay whose response bytes leave in order at the pace of one shared budget (every
// connection shares the link, as on one network path). It runs as a child process so the
// pacing costs the measured process nothing. Usage: node slow-link.mjs UPSTREAM_PORT MBITS
// (prints the port it listens on).
import { createServer, request } from 'node:http';

const [upstreamPort, mbits] = process.argv.slice(2).map(Number);
const bytesPerMs = (mbits * 1e6) / 8 / 1000;
let free = performance.now(); // when the link is next idle

const server = createServer((req, res) => {
  const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (u) => {
    res.writeHead(u.statusCode ?? 502, u.headers);
    let sent = Promise.resolve();
    u.on('data', (c) => {
      free = Math.max(free, performance.now()) + c.length / bytesPerMs;
      const at = free;
      u.pause();
      sent = sent.then(() => new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())))).then(() => {
        res.write(c);
        u.resume();
      });
    });
    u.on('end', () => void sent.then(() => res.end()));
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
