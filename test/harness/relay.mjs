// A small TCP relay for fault tests: forwards LISTEN → TARGET, adding a one-way delay to every
// chunk in both directions (a 10 ms delay gives a 20 ms RTT), and can stall or drop bytes.
// This kernel has no netem, so latency and loss come from here. Nagle is off on both sockets.
//
//   node relay.mjs LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
//   prints "listening PORT" when ready (LISTEN_PORT 0 picks a free port).
// Commands on stdin, one per line:
//   delay N   set the one-way delay in ms
//   stall     hold every byte (connections stay open, nothing arrives: like a hung link)
//   resume    deliver the held bytes and forward again
//   drop      discard every byte from now on (like a link that lost all packets)
//   pass      forward again (after drop)
//   reset     destroy every open connection
// Exits when stdin closes.
import net from 'node:net';
import { createInterface } from 'node:readline';

const [listenHost, listenPort, targetHost, targetPort, delayArg] = process.argv.slice(2);
let delay = Number(delayArg ?? 0);
let mode = 'pass';
const held = [];
const conns = new Set();

function forward(from, to) {
  from.on('data', (chunk) => {
    if (mode === 'drop') return;
    if (mode === 'stall') {
      held.push([to, chunk]);
      return;
    }
    if (delay > 0) setTimeout(() => to.destroyed || to.write(chunk), delay);
    else to.write(chunk);
  });
  from.on('end', () => setTimeout(() => to.destroyed || to.end(), delay));
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), delay));
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: targetHost, port: Number(targetPort) });
  upstream.setNoDelay(true);
  conns.add(client);
  conns.add(upstream);
  client.on('close', () => conns.delete(client));
  upstream.on('close', () => conns.delete(upstream));
  forward(client, upstream);
  forward(upstream, client);
});
server.listen(Number(listenPort), listenHost, () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : listenPort}\n`);
});

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'delay') delay = Number(arg);
  else if (cmd === 'stall') mode = 'stall';
  else if (cmd === 'drop') mode = 'drop';
  else if (cmd === 'pass' || cmd === 'resume') {
    mode = 'pass';
    for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
  } else if (cmd === 'reset') for (const c of conns) c.destroy();
  process.stdout.write(`ok ${cmd}\n`);
});
rl.on('close', () => process.exit(0));
