// The `net` peer: the Simple-frame echo of user-echo.mjs on node:net; --cork for the
// corked variant. Prints "PORT <n>" once listening; runs until killed.
import net from 'node:net';
import { userEcho } from './user-echo.mjs';

const cork = process.argv.includes('--cork');
const server = net.createServer((socket) => userEcho(socket, { cork }));
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
