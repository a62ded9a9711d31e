/**
 * `npm run bench:read-cost`: what receiving a socket write costs on this machine, the floor under the ingest figure.
 *
 * A reader process (optionally pinned, `--pin-server`) accepts N loopback TCP connections and does nothing with the
 * bytes but count them, as cheaply as Node allows (a 'data' listener adding lengths). This process (pinned with
 * `--pin-load`) writes one buffer of S bytes to each connection R times a second, each connection on its own timer
 * with its own phase, as independent publishers do: S x R is the bench media's bit rate (2.66 Mbit/s), so only how
 * the bytes are cut into writes changes between rows. The reader's CPU (utime + stime from /proc) over the window
 * gives CPU seconds per GB and microseconds per read. No project code is involved: it is what Node and the kernel
 * charge to take bytes in, before any RTMP parsing or relaying.
 *
 *   npm run bench:read-cost -- [--publishers 20] [--seconds 15] [--pin-server 1 --pin-load 0]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { pinProcess, pinnedCommand, readCpuSeconds } from './procfs';
import { appendResult, fixed, machineInfo, markdownTable } from './report';

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const BYTES_PER_SECOND = 2.66e6 / 8;
/** Writes per second per connection: one per message (~73 msg/s in the bench media), then 2x, 4x, 8x merged. */
const RATES = [73, 36, 18, 9];

/** The reader: listens, counts bytes, reports the count when asked. */
async function childMain(): Promise<void> {
  let received = 0;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => (received += data.length));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.send?.({ port: (server.address() as { port: number }).port });
  process.on('message', (message) => {
    if (message === 'count') process.send?.({ received });
    else if (message === 'exit') process.exit(0);
  });
}

async function request<T>(child: ChildProcess, message: string): Promise<T> {
  const reply = once(child, 'message');
  child.send(message);
  return (await reply)[0] as T;
}

async function measure(publishers: number, rate: number, seconds: number, pinServer?: string): Promise<Record<string, number>> {
  const size = Math.round(BYTES_PER_SECOND / rate);
  const args = [__filename, 'child'];
  const child: ChildProcess = spawn(...pinnedCommand(pinServer, process.execPath, args), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const sockets: Socket[] = [];
  for (let i = 0; i < publishers; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    sockets.push(socket);
  }
  const buf = Buffer.alloc(size, 7);
  const timers: NodeJS.Timeout[] = [];
  // Each connection on its own timer, phases spread over one period: the reads do not arrive together.
  sockets.forEach((socket, i) =>
    timers.push(setTimeout(() => timers.push(setInterval(() => socket.write(buf), 1000 / rate)), (i * 1000) / rate / publishers)),
  );
  await new Promise((resolve) => setTimeout(resolve, 2000)); // warm-up
  const pid = child.pid as number;
  const before = readCpuSeconds(pid);
  const { received: startReceived } = await request<{ received: number }>(child, 'count');
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = readCpuSeconds(pid);
  const { received } = await request<{ received: number }>(child, 'count');
  const elapsed = (Date.now() - start) / 1000;
  for (const timer of timers) clearInterval(timer);
  for (const socket of sockets) socket.destroy();
  child.send('exit');
  await once(child, 'exit');
  const cpu = after - before;
  const bytes = received - startReceived;
  const writes = publishers * rate * elapsed;
  if (bytes < 0.9 * publishers * BYTES_PER_SECOND * elapsed) throw new Error(`the reader got ${bytes} bytes, expected ~${Math.round(publishers * BYTES_PER_SECOND * elapsed)}`);
  return { publishers, size, rate, cpuSeconds: cpu, gb: bytes / 1e9, cpuPercent: (100 * cpu) / elapsed, cpuSecondsPerGB: cpu / (bytes / 1e9), usPerRead: (cpu * 1e6) / writes };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return childMain();
  const { values } = parseArgs({
    options: {
      publishers: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '15' },
      'pin-server': { type: 'string' },
      'pin-load': { type: 'string' },
      'no-save': { type: 'boolean', default: false },
    },
  });
  const publishers = Number(values.publishers);
  const seconds = Number(values.seconds);
  if (values['pin-load']) pinProcess(values['pin-load'], process.pid);
  const rows: Array<Record<string, number>> = [];
  for (const rate of RATES) {
    log(`${publishers} connections, ${rate} writes/s each of ${Math.round(BYTES_PER_SECOND / rate)} bytes, ${seconds} s`);
    rows.push(await measure(publishers, rate, seconds, values['pin-server']));
  }
  const machine = machineInfo();
  process.stdout.write(
    `\nRead cost: ${publishers} loopback connections at 2.66 Mbit/s each into a reader that only counts, ${machine.cpuModel} (${machine.cores} cores), Node ${process.version}\n\n` +
      markdownTable(
        ['writes/s per connection', 'bytes per write', 'reader CPU', 'reader CPU-s/GB', 'us per read'],
        rows.map((r) => [r.rate, r.size, `${fixed(r.cpuPercent, 1)}%`, fixed(r.cpuSecondsPerGB, 2), fixed(r.usPerRead, 1)]),
      ) +
      '\n',
  );
  if (!values['no-save']) log(`saved to ${await appendResult('read-cost', { machine, publishers, seconds, rows })}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${String(err)}\n`);
  process.exit(1);
});
