/**
 * `npm run bench:write-cost`: what one socket write costs on this machine, the floor under every fan-out figure.
 *
 * A writer process (optionally pinned, `--pin-server`) holds N loopback TCP connections to a reader process (pinned
 * with `--pin-load`) and writes one buffer of S bytes to each connection R times a second: S x R is the stream's
 * bit rate (2.66 Mbit/s, as the bench media), so only how the bytes are cut into writes changes between rows. The
 * writer's CPU (utime + stime from /proc) over the window gives CPU seconds per GB and microseconds per write.
 * No project code is involved: it is what Node and the kernel charge per write and per byte.
 *
 *   npm run bench:write-cost -- [--viewers 100] [--seconds 10] [--pin-server 1 --pin-load 0]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { pinProcess, pinnedCommand, readCpuSeconds } from './procfs';
import { appendResult, fixed, machineInfo, markdownTable } from './report';

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const BYTES_PER_SECOND = 2.66e6 / 8;
/** Writes per second per connection: per message (~73 msg/s in the bench media), then merged 2x, 4x, 8x, 24x. */
const RATES = [73, 36, 18, 9, 3];

/** The writer: connects N sockets to the parent, then writes on a timer until told the window is over. */
async function childMain(): Promise<void> {
  const [port, viewers, size, rate, seconds] = process.argv.slice(3).map(Number);
  const sockets: Socket[] = [];
  for (let i = 0; i < viewers; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    sockets.push(socket);
  }
  const buf = Buffer.alloc(size, 7);
  process.send?.('ready');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const timer = setInterval(() => {
    for (const socket of sockets) socket.write(buf);
  }, 1000 / rate);
  setTimeout(() => {
    clearInterval(timer);
    for (const socket of sockets) socket.end();
    process.send?.('done', () => process.exit(0));
  }, seconds * 1000);
}

async function measure(viewers: number, rate: number, seconds: number, pinServer?: string, pinLoad?: string): Promise<Record<string, number>> {
  const size = Math.round(BYTES_PER_SECOND / rate);
  let received = 0;
  const server = createServer((socket) => socket.on('data', (d: Buffer) => (received += d.length)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const args = [__filename, 'child', String(port), String(viewers), String(size), String(rate), String(seconds)];
  const child: ChildProcess = spawn(...pinnedCommand(pinServer, process.execPath, args), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (pinLoad) pinProcess(pinLoad, process.pid);
  await once(child, 'message');
  const pid = child.pid as number;
  const before = readCpuSeconds(pid);
  const startReceived = received;
  child.send('go');
  await once(child, 'message');
  const after = readCpuSeconds(pid);
  const bytes = received - startReceived;
  await once(child, 'exit');
  server.close();
  const cpu = after - before;
  const writes = viewers * rate * seconds;
  return { viewers, size, rate, cpuSeconds: cpu, gb: bytes / 1e9, cpuSecondsPerGB: cpu / (bytes / 1e9), usPerWrite: (cpu * 1e6) / writes };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return childMain();
  const { values } = parseArgs({
    options: {
      viewers: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '10' },
      'pin-server': { type: 'string' },
      'pin-load': { type: 'string' },
      'no-save': { type: 'boolean', default: false },
    },
  });
  const viewers = Number(values.viewers);
  const seconds = Number(values.seconds);
  const rows: Array<Record<string, number>> = [];
  for (const rate of RATES) {
    log(`${viewers} connections, ${rate} writes/s each of ${Math.round(BYTES_PER_SECOND / rate)} bytes, ${seconds} s`);
    rows.push(await measure(viewers, rate, seconds, values['pin-server'], values['pin-load']));
  }
  const machine = machineInfo();
  process.stdout.write(
    `\nWrite cost: ${viewers} loopback connections at 2.66 Mbit/s each, ${machine.cpuModel} (${machine.cores} cores), Node ${process.version}\n\n` +
      markdownTable(
        ['writes/s per connection', 'bytes per write', 'writer CPU-s/GB', 'us per write'],
        rows.map((r) => [r.rate, r.size, fixed(r.cpuSecondsPerGB, 2), fixed(r.usPerWrite, 1)]),
      ) +
      '\n',
  );
  if (!values['no-save']) log(`saved to ${await appendResult('write-cost', { machine, viewers, seconds, rows })}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${String(err)}\n`);
  process.exit(1);
});
