/**
 * CLI entry: `npm run bench -- <scenario> [options]` (root script: build, then `node bench/dist/run.js`).
 * Progress goes to stderr; the Markdown table goes to stdout; each run is appended as one JSON line to
 * bench/results/<scenario>.jsonl.
 */
import { relative } from 'node:path';
import { measureChunkReader, encodeChunkStream, type ChunkReaderResult } from './chunk-reader-bench';
import { parseCli, UsageError, type ChunkReaderOptions, type IngestOptions } from './cli';
import { runIngest } from './ingest-bench';
import { benchMediaCommand, ensureBenchMedia, loadMedia, type BenchMedia } from './media';
import { ROOT } from './paths';
import { appendResult, fixed, machineInfo, markdownTable, round } from './report';

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

async function prepareMedia(path: string | undefined): Promise<BenchMedia & { command: string | undefined }> {
  const file = path ?? (await ensureBenchMedia(log));
  const media = await loadMedia(file);
  log(
    `media: ${media.tags.length} tags, ${media.videoFrames} video + ${media.audioFrames} audio frames, ` +
      `${(media.durationMs / 1000).toFixed(2)} s, ${((media.bytes * 8) / media.durationMs).toFixed(0)} kbit/s`,
  );
  return { ...media, command: path ? undefined : benchMediaCommand(file) };
}

function mediaSummary(media: BenchMedia & { command: string | undefined }): object {
  return {
    file: relative(ROOT, media.file),
    command: media.command,
    bytes: media.bytes,
    durationMs: media.durationMs,
    tags: media.tags.length,
    videoFrames: media.videoFrames,
    audioFrames: media.audioFrames,
    kbitPerSecond: round((media.bytes * 8) / media.durationMs, 0),
  };
}

async function save(scenario: string, record: object, enabled: boolean): Promise<void> {
  if (!enabled) return;
  const file = await appendResult(scenario, record);
  log(`result appended to ${relative(ROOT, file)}`);
}

async function chunkReader(options: ChunkReaderOptions): Promise<number> {
  const media = await prepareMedia(options.media);
  const results: ChunkReaderResult[] = [];
  for (const size of options.sizes) {
    const stream = encodeChunkStream(media.tags, size);
    log(`chunk size ${size}: ${(stream.bytes.length / 1e6).toFixed(1)} MB stream, ${stream.messages} messages; warm-up ${options.warmup} s, measure >= ${options.seconds} s`);
    results.push(measureChunkReader(stream, options, log));
  }
  const record = {
    scenario: 'chunk-reader',
    date: new Date().toISOString(),
    machine: machineInfo(),
    note: options.note,
    options: { seconds: options.seconds, warmup: options.warmup, piece: options.piece, sizes: options.sizes },
    media: mediaSummary(media),
    results: results.map((r) => ({
      ...r,
      seconds: round(r.seconds, 3),
      overheadPercent: round(r.overheadPercent, 2),
      mbPerSecond: round(r.mbPerSecond, 1),
      messagesPerSecond: round(r.messagesPerSecond, 0),
      medianPassMBps: round(r.medianPassMBps, 1),
      minPassMBps: round(r.minPassMBps, 1),
      maxPassMBps: round(r.maxPassMBps, 1),
    })),
  };
  await save('chunk-reader', record, options.save);
  const m = record.machine;
  process.stdout.write(`\nChunkReader throughput, ${m.cpuModel} (${m.cores} cores), Node ${m.node}, ${record.date.slice(0, 10)}; ${options.piece}-byte pushes\n\n`);
  process.stdout.write(
    `${markdownTable(
      ['chunk size', 'stream MB', 'header overhead', 'passes', 'seconds', 'MB/s', 'messages/s', 'pass MB/s (min/median/max)'],
      results.map((r) => [
        r.chunkSize,
        fixed(r.streamBytes / 1e6, 1),
        `${fixed(r.overheadPercent, 2)}%`,
        r.passes,
        fixed(r.seconds, 2),
        fixed(r.mbPerSecond, 0),
        Math.round(r.messagesPerSecond).toLocaleString('en-US'),
        `${fixed(r.minPassMBps, 0)} / ${fixed(r.medianPassMBps, 0)} / ${fixed(r.maxPassMBps, 0)}`,
      ]),
    )}\n`,
  );
  return 0;
}

async function ingest(options: IngestOptions): Promise<number> {
  const media = await prepareMedia(options.media);
  const started = new Date();
  const result = await runIngest(options, media, log);
  const record = {
    scenario: 'ingest',
    date: started.toISOString(),
    machine: machineInfo(),
    note: options.note,
    options: {
      publishers: options.publishers,
      seconds: options.seconds,
      warmup: options.warmup,
      chunkSize: options.chunkSize,
      pinServer: options.pinServer ?? null,
      pinLoad: options.pinLoad ?? null,
    },
    media: mediaSummary(media),
    ok: result.ok,
    failures: result.failures,
    windowSeconds: round(result.windowSeconds, 3),
    ingest: { ...result.ingest, mbitPerSecond: round(result.ingest.mbitPerSecond, 2) },
    edge: {
      ...result.edge,
      cpuSeconds: round(result.edge.cpuSeconds, 2),
      userSeconds: round(result.edge.userSeconds, 2),
      systemSeconds: round(result.edge.systemSeconds, 2),
      cpuPercent: round(result.edge.cpuPercent, 1),
      cpuSecondsPerGB: round(result.edge.cpuSecondsPerGB, 2),
      rssMiB: round(result.edge.rssMiB, 1),
      peakRssMiB: round(result.edge.peakRssMiB, 1),
      idleRssMiB: round(result.edge.idleRssMiB, 1),
    },
    load: {
      ...result.load,
      cpuSeconds: round(result.load.cpuSeconds, 2),
      cpuPercent: round(result.load.cpuPercent, 1),
      meanLagMs: round(result.load.meanLagMs, 2),
      maxLagMs: round(result.load.maxLagMs, 1),
    },
    services: { natsCpuSeconds: round(result.services.natsCpuSeconds, 2), redisCpuSeconds: round(result.services.redisCpuSeconds, 2) },
    check: result.check,
    streams: result.streams,
  };
  await save('ingest', record, options.save);
  const m = record.machine;
  const pin = options.pinServer ? `edge pinned to CPU ${options.pinServer}` : 'edge not pinned';
  process.stdout.write(
    `\nIngest into the edge, ${m.cpuModel} (${m.cores} cores), Node ${m.node}, ${record.date.slice(0, 10)}; ${pin}; chunk size ${options.chunkSize}\n\n`,
  );
  const { edge, load, check } = result;
  process.stdout.write(
    `${markdownTable(
      ['publishers', 'window s', 'ingest Mbit/s', 'edge CPU-s (user+sys)', 'edge CPU', 'edge CPU-s/GB', 'edge RSS MiB (idle/end/peak)', 'nats-server CPU-s', 'bench CPU', 'drain waits', 'lag ms (mean/max)', 'video frames sent/received', 'streams OK'],
      [
        [
          options.publishers,
          fixed(result.windowSeconds, 1),
          fixed(result.ingest.mbitPerSecond, 1),
          `${fixed(edge.cpuSeconds, 2)} (${fixed(edge.userSeconds, 2)}+${fixed(edge.systemSeconds, 2)})`,
          `${fixed(edge.cpuPercent, 1)}%`,
          fixed(edge.cpuSecondsPerGB, 2),
          `${fixed(edge.idleRssMiB, 0)} / ${fixed(edge.rssMiB, 0)} / ${fixed(edge.peakRssMiB, 0)}`,
          fixed(result.services.natsCpuSeconds, 2),
          `${fixed(load.cpuPercent, 1)}%`,
          load.drainWaits,
          `${fixed(load.meanLagMs, 2)} / ${fixed(load.maxLagMs, 1)}`,
          `${check.videoFramesSent} / ${check.videoFramesReceived}`,
          `${check.streamsMatched}/${options.publishers}`,
        ],
      ],
    )}\n\n`,
  );
  process.stdout.write(
    `${markdownTable(
      ['stream', 'video sent', 'video received', 'audio sent', 'audio received', 'match'],
      result.streams.map((s) => [s.name, s.videoSent, s.videoReceived ?? '-', s.audioSent, s.audioReceived ?? '-', s.match ? 'yes' : 'NO']),
    )}\n`,
  );
  if (!result.ok) {
    for (const failure of result.failures) log(`FAILED: ${failure}`);
    for (const line of check.edgeProblems) log(`edge: ${line}`);
    return 1;
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const command = parseCli(argv);
  switch (command.scenario) {
    case 'help':
      process.stdout.write(command.text);
      return 0;
    case 'chunk-reader':
      return chunkReader(command.options);
    case 'ingest':
      return ingest(command.options);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\nRun with --help for the options.\n`);
      process.exit(2);
    }
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
