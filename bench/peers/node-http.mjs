// The node:http peer of examples/http-mock: the same fixed keep-alive 200 "hello\n" for
// every request, headers set once so that only the server's own work is measured.
// Prints "PORT <n>" once listening.
import http from 'node:http';

const body = Buffer.from('hello\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '6', Connection: 'keep-alive' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
