/**
 * `npm run bench:hls`: what HLS packaging costs.
 * 1. package: the bench media (60 s, 720p30 2.5 Mb/s + AAC) through @ingest/hls's HlsPackager in process, every
 *    segment encoded as MPEG-TS and as fMP4, repeated for >= 5 s of CPU; reported as CPU seconds per hour of stream.
 * 2. hot segment: a real edge + origin (private Redis/NATS), FFmpeg replaying the media; C keep-alive clients ask
 *    the origin for the newest segment as fast as they can for D seconds; requests/s, MB/s and origin CPU.
 */
import { Agent, request } from 'node:http';
import { HlsPackager } from '@ingest/hls';
import { eventually, requireBinary, spawnManaged, startCluster } from '@ingest/testing';
import { ensureBenchMedia, loadMedia, type MediaTag } from './media';
import { readCpuSeconds } from './procfs';
import { appendResult, fixed, machineInfo, markdownTable } from './report';

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function packageOnce(tags: MediaTag[], format: 'ts' | 'fmp4'): number {
  const packager = new HlsPackager({ targetDurationMs: 2000, windowSegments: 1000 });
  for (const tag of tags) if (tag.type === 8 || tag.type === 9) packager.push({ type: tag.type, timestamp: tag.timestamp, payload: tag.body });
  let bytes = 0;
  const playlist = format === 'ts' ? packager.playlistTs() : packager.playlistFmp4();
  for (const match of playlist.matchAll(/seg-(\d+)\./g)) {
    const n = Number(match[1]);
    bytes += (format === 'ts' ? packager.segmentTs(n) : packager.segmentM4s(n))?.length ?? 0;
  }
  return bytes;
}

function measurePackaging(tags: MediaTag[], durationMs: number, format: 'ts' | 'fmp4') {
  packageOnce(tags, format); // warm-up
  let passes = 0;
  let bytes = 0;
  const start = process.cpuUsage();
  const wall = Date.now();
  while (Date.now() - wall < 5000) {
    bytes = packageOnce(tags, format);
    passes++;
  }
  const used = process.cpuUsage(start);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const streamSeconds = (passes * durationMs) / 1000;
  return { format, passes, cpuSeconds, streamSeconds, cpuSecondsPerHour: (cpuSeconds / streamSeconds) * 3600, outputBytesPerPass: bytes };
}

async function hotSegment(file: string, clients: number, seconds: number) {
  const cluster = await startCluster({ edges: 1, origins: 1, originEnv: { LOG_LEVEL: 'info' } });
  const ffmpeg = spawnManaged(
    requireBinary('ffmpeg'),
    ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-t', String(seconds + 60), '-f', 'flv', `rtmp://127.0.0.1:${cluster.edges[0].rtmpPort}/live/hot`],
    { name: 'publisher' },
  );
  try {
    const base = `http://127.0.0.1:${cluster.origins[0].httpPort}/live/hot`;
    const playlist = await eventually(async () => {
      const res = await fetch(`${base}/index.m3u8`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 30_000, 'the playlist');
    const segments = [...playlist.matchAll(/seg-(\d+)\.ts/g)].map((m) => m[0]);
    const path = `/live/hot/${segments[segments.length - 1]}`;
    const agent = new Agent({ keepAlive: true, maxSockets: clients });
    const port = cluster.origins[0].httpPort;
    let done = 0;
    let bytes = 0;
    let failed = 0;
    const originPid = cluster.origins[0].process.pid;
    const cpuBefore = readCpuSeconds(originPid);
    const end = Date.now() + seconds * 1000;
    const worker = async () => {
      while (Date.now() < end) {
        await new Promise<void>((resolve) => {
          const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
            res.on('data', (d: Buffer) => (bytes += d.length));
            res.on('end', () => {
              if (res.statusCode === 200) done++;
              else failed++;
              resolve();
            });
          });
          req.on('error', () => {
            failed++;
            resolve();
          });
          req.end();
        });
      }
    };
    await Promise.all(Array.from({ length: clients }, worker));
    const cpu = readCpuSeconds(originPid) - cpuBefore;
    agent.destroy();
    return { path, clients, seconds, requests: done, failed, requestsPerSecond: done / seconds, mbPerSecond: bytes / 1e6 / seconds, segmentBytes: done ? bytes / done : 0, originCpuPercent: (cpu / seconds) * 100 };
  } finally {
    await ffmpeg.kill('SIGKILL');
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const clients = Number(args[args.indexOf('--clients') + 1] || 0) || 32;
  const seconds = Number(args[args.indexOf('--seconds') + 1] || 0) || 10;
  const file = await ensureBenchMedia(log);
  const media = await loadMedia(file);
  log(`packaging ${media.tags.length} tags (${(media.durationMs / 1000).toFixed(1)} s) as TS and fMP4`);
  const packaging = [measurePackaging(media.tags, media.durationMs, 'ts'), measurePackaging(media.tags, media.durationMs, 'fmp4')];
  log(`hot segment: ${clients} keep-alive clients for ${seconds} s`);
  const hot = await hotSegment(file, clients, seconds);
  const record = { scenario: 'hls', date: new Date().toISOString(), machine: machineInfo(), packaging, hot };
  await appendResult('hls', record);
  process.stdout.write(
    `\nHLS packaging, ${record.machine.cpuModel} (${record.machine.cores} cores), Node ${record.machine.node}, ${record.date.slice(0, 10)}\n\n` +
      `${markdownTable(
        ['format', 'passes of 60 s', 'CPU s', 'CPU s per hour of stream', 'output MB per 60 s'],
        packaging.map((p) => [p.format, p.passes, fixed(p.cpuSeconds, 2), fixed(p.cpuSecondsPerHour, 2), fixed(p.outputBytesPerPass / 1e6, 2)]),
      )}\n\nHot segment from memory (${hot.path}, ${fixed(hot.segmentBytes / 1e3, 0)} KB):\n\n` +
      `${markdownTable(
        ['clients', 'seconds', 'requests/s', 'MB/s', 'failed', 'origin CPU %'],
        [[hot.clients, hot.seconds, fixed(hot.requestsPerSecond, 0), fixed(hot.mbPerSecond, 0), hot.failed, fixed(hot.originCpuPercent, 0)]],
      )}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
