/**
 * CLI entry: `npm run bench -- <scenario> [options]` (root script: build, then `node bench/dist/run.js`).
 * Progress goes to stderr; the Markdown table goes to stdout; each run is appended as one JSON line to
 * bench/results/<scenario>.jsonl.
 */
import { loadavg } from 'node:os';
import { relative } from 'node:path';
import { measureChunkReader, encodeChunkStream, type ChunkReaderResult } from './chunk-reader-bench';
import { CAPACITY_HEADERS, capacityRow } from './capacity';
import { runCapacity } from './capacity-bench';
import {
  parseCli,
  UsageError,
  type CapacityOptions,
  type ChunkReaderOptions,
  type CompareOptions,
  type FanoutMatrixOptions,
  type FanoutOptions,
  type FanoutPath,
  type IngestOptions,
  type IngestServer,
} from './cli';
import { runFanout, waitForQuietMachine, type FanoutResult } from './fanout-bench';
import { runIngest, type IngestResult } from './ingest-bench';
import { benchMediaCommand, ensureBenchMedia, loadMedia, type BenchMedia } from './media';
import { nmsVersion } from './nms-process';
import { ROOT } from './paths';
import { appendResult, fixed, machineInfo, markdownTable, round } from './report';
import {
  COMPARE_SUMMARY_HEADERS,
  compareSummaryRows,
  failedFanoutRow,
  FANOUT_HEADERS,
  fanoutRow,
  ingestRow,
  INGEST_HEADERS,
  INGEST_STREAM_HEADERS,
  ingestServerLabel,
  ingestStreamRows,
  type CompareFanoutRun,
} from './tables';

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

async function prepareMedia(path: string | undefined): Promise<PreparedMedia> {
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


function ingestRecord(options: IngestOptions, media: PreparedMedia, started: Date, result: IngestResult): object {
  return {
    scenario: 'ingest',
    date: started.toISOString(),
    machine: machineInfo(),
    note: options.note,
    options: {
      server: result.server.name,
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
    stealPercent: round(result.stealPercent, 1),
    ingest: { ...result.ingest, mbitPerSecond: round(result.ingest.mbitPerSecond, 2) },
    server: {
      ...result.server,
      cpuSeconds: round(result.server.cpuSeconds, 2),
      userSeconds: round(result.server.userSeconds, 2),
      systemSeconds: round(result.server.systemSeconds, 2),
      cpuPercent: round(result.server.cpuPercent, 1),
      cpuSecondsPerGB: round(result.server.cpuSecondsPerGB, 2),
      rssMiB: round(result.server.rssMiB, 1),
      peakRssMiB: round(result.server.peakRssMiB, 1),
      idleRssMiB: round(result.server.idleRssMiB, 1),
    },
    load: {
      ...result.load,
      cpuSeconds: round(result.load.cpuSeconds, 2),
      cpuPercent: round(result.load.cpuPercent, 1),
      meanLagMs: round(result.load.meanLagMs, 2),
      maxLagMs: round(result.load.maxLagMs, 1),
    },
    services: result.services && { natsCpuSeconds: round(result.services.natsCpuSeconds, 2), redisCpuSeconds: round(result.services.redisCpuSeconds, 2) },
    check: result.check,
    streams: result.streams,
  };
}

async function ingest(options: IngestOptions, collect?: IngestResult[]): Promise<number> {
  const media = await prepareMedia(options.media);
  const results: IngestResult[] = [];
  const errors: Array<{ server: IngestServer; error: string }> = [];
  for (const server of options.servers) {
    const started = new Date();
    log(`ingest: ${options.publishers} publishers into the ${server === 'nms' ? `node-media-server ${nmsVersion() ?? ''}` : 'edge'}, ${options.seconds} s window after ${options.warmup} s warm-up`);
    try {
      const result = await runIngest(server, options, media, log);
      await save('ingest', ingestRecord(options, media, started, result), options.save);
      results.push(result);
      collect?.push(result);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`ingest into ${server} failed: ${message}`);
      errors.push({ server, error: message });
    }
  }
  const m = machineInfo();
  const pin = options.pinServer ? `server pinned to CPU ${options.pinServer}` : 'server not pinned';
  const load = options.pinLoad ? `load pinned to CPU ${options.pinLoad}` : 'load not pinned';
  process.stdout.write(
    `\nIngest of ${options.publishers} real-time 720p30 publishers, ${m.cpuModel} (${m.cores} cores), Node ${m.node}, ${new Date().toISOString().slice(0, 10)}; ` +
      `${pin}, ${load}; chunk size ${options.chunkSize}\n\n`,
  );
  process.stdout.write(`${markdownTable(INGEST_HEADERS, results.map((r) => ingestRow(options.publishers, r)))}\n\n`);
  process.stdout.write(`${markdownTable(INGEST_STREAM_HEADERS, results.flatMap((r) => ingestStreamRows(r)))}\n`);
  for (const r of results) {
    for (const failure of r.failures) log(`FAILED (${ingestServerLabel(r)}): ${failure}`);
    for (const line of r.check.serverProblems) log(`${r.server.name}: ${line}`);
  }
  for (const e of errors) log(`FAILED (${e.server}): ${e.error}`);
  return errors.length === 0 && results.every((r) => r.ok) ? 0 : 1;
}

type PreparedMedia = BenchMedia & { command: string | undefined };

function fanoutRecord(options: FanoutOptions, media: PreparedMedia, started: Date, result: FanoutResult): object {
  const r2 = (v: number) => round(v, 2);
  const r3 = (v: number) => round(v, 3);
  return {
    scenario: 'fanout',
    date: started.toISOString(),
    machine: machineInfo(),
    loadAverageAtStart: r2(result.loadAverageAtStart),
    note: options.note,
    server: result.serverName,
    peer: result.peerVersion ? { name: 'node-media-server', version: result.peerVersion } : undefined,
    options: {
      path: options.path,
      protocol: options.protocol,
      viewers: options.viewers,
      seconds: options.seconds,
      warmup: options.warmup,
      connectSeconds: options.connectSeconds,
      chunkSize: options.chunkSize,
      pinServer: options.pinServer ?? null,
      pinLoad: options.pinLoad ?? null,
      waitLoad: options.waitLoad,
    },
    media: mediaSummary(media),
    ok: result.ok,
    failures: result.failures,
    warnings: result.warnings,
    windowSeconds: r3(result.windowSeconds),
    publisher: { ...result.publisher, mbitPerSecond: r2(result.publisher.mbitPerSecond), meanLagMs: r2(result.publisher.meanLagMs), maxLagMs: r2(result.publisher.maxLagMs) },
    delivery: { ...result.delivery, mbitPerSecond: round(result.delivery.mbitPerSecond, 1), perViewerMbitPerSecond: r3(result.delivery.perViewerMbitPerSecond) },
    latencyMs: {
      count: result.latency.count,
      unmatched: result.latency.unmatched,
      min: r3(result.latency.min),
      mean: r3(result.latency.mean),
      p50: r3(result.latency.p50),
      p90: r3(result.latency.p90),
      p99: r3(result.latency.p99),
      p999: r3(result.latency.p999),
      max: r3(result.latency.max),
    },
    origin: {
      ...result.origin,
      cpuSeconds: r2(result.origin.cpuSeconds),
      userSeconds: r2(result.origin.userSeconds),
      systemSeconds: r2(result.origin.systemSeconds),
      cpuPercent: round(result.origin.cpuPercent, 1),
      cpuSecondsPerGB: r2(result.origin.cpuSecondsPerGB),
      idleRssMiB: round(result.origin.idleRssMiB, 1),
      rssMiB: round(result.origin.rssMiB, 1),
      rssEndMiB: round(result.origin.rssEndMiB, 1),
      peakRssMiB: round(result.origin.peakRssMiB, 1),
      rssPerViewerKiB: round(result.origin.rssPerViewerKiB, 1),
    },
    edge: result.edge && {
      ...result.edge,
      cpuSeconds: r2(result.edge.cpuSeconds),
      userSeconds: r2(result.edge.userSeconds),
      systemSeconds: r2(result.edge.systemSeconds),
      cpuPercent: round(result.edge.cpuPercent, 1),
    },
    nats: result.nats && { cpuSeconds: r2(result.nats.cpuSeconds), cpuPercent: round(result.nats.cpuPercent, 1) },
    redis: result.redis && { cpuSeconds: r2(result.redis.cpuSeconds) },
    total: { cpuSeconds: r2(result.total.cpuSeconds), cpuPercent: round(result.total.cpuPercent, 1), cpuSecondsPerGB: r2(result.total.cpuSecondsPerGB) },
    load: {
      cpuSeconds: r2(result.load.cpuSeconds),
      cpuPercent: round(result.load.cpuPercent, 1),
      eventLoopDelayMs: {
        mean: r2(result.load.eventLoopDelayMs.mean),
        p50: r2(result.load.eventLoopDelayMs.p50),
        p99: r2(result.load.eventLoopDelayMs.p99),
        max: r2(result.load.eventLoopDelayMs.max),
      },
    },
    system: {
      otherProcessesCpuPercent: round(result.system.otherProcessesCpuPercent, 1),
      cpus: result.system.cpus.map((c) => ({
        name: c.name,
        userSystemPercent: round(c.userSystemPercent, 1),
        irqPercent: round(c.irqPercent, 1),
        stealPercent: round(c.stealPercent, 1),
        idlePercent: round(c.idlePercent, 1),
      })),
    },
    check: {
      ...result.check,
      maxGapMs: round(result.check.maxGapMs, 0),
      deliveredPercent: {
        min: r3(result.check.deliveredPercent.min),
        median: r3(result.check.deliveredPercent.median),
        max: r3(result.check.deliveredPercent.max),
      },
    },
  };
}


async function fanoutOnce(options: FanoutOptions, media: PreparedMedia): Promise<FanoutResult> {
  await waitForQuietMachine(options.waitLoad, log);
  const started = new Date();
  log(`fanout: ${options.path} path, ${options.viewers} ${options.protocol} viewers, ${options.seconds} s window after ${options.warmup} s warm-up`);
  const result = await runFanout(options, media, log);
  await save('fanout', fanoutRecord(options, media, started, result), options.save);
  for (const warning of result.warnings) log(`note: ${warning}`);
  for (const failure of result.failures) log(`FAILED: ${failure}`);
  for (const line of [...result.check.originProblems, ...result.check.edgeProblems].slice(0, 10)) log(`server: ${line}`);
  return result;
}

/** What the node-media-server peer is, for the headings of tables that have nms rows. */
function peerLine(paths: readonly FanoutPath[]): string {
  if (!paths.includes('nms')) return '';
  return (
    `nms = node-media-server ${nmsVersion() ?? '(not installed)'} from npm, run by bench/dist/nms-main.js: RTMP and HTTP/WS-FLV ` +
    'on loopback, its default GOP cache, log level warn, no auth, recording, webhook, API or webadmin; ' +
    "it has no slow-viewer limit (it buffers without bound), so the origin's dropped-frame figures have no counterpart.\n\n"
  );
}

function fanoutHeading(options: { pinServer: string | undefined; pinLoad: string | undefined }, paths: readonly FanoutPath[], windowText: string): string {
  const m = machineInfo();
  const names = new Set(paths.flatMap((p) => (p === 'cluster' ? ['edge', 'origin', 'nats-server'] : p === 'single' ? ['origin', 'nats-server'] : ['NMS'])));
  const pin = options.pinServer ? `servers (${[...names].join(', ')}) pinned to CPU ${options.pinServer}` : 'servers not pinned';
  const load = options.pinLoad ? `load pinned to CPU ${options.pinLoad}` : 'load not pinned';
  return (
    `\nFan-out of one 720p30 stream (2.66 Mbit/s), ${m.cpuModel} (${m.cores} cores), Node ${m.node}, ${new Date().toISOString().slice(0, 10)}; ` +
    `${pin}, ${load}; ${windowText}\n\n${peerLine(paths)}`
  );
}

async function fanout(options: FanoutOptions): Promise<number> {
  const media = await prepareMedia(options.media);
  const result = await fanoutOnce(options, media);
  process.stdout.write(fanoutHeading(options, [options.path], `${fixed(result.windowSeconds, 1)} s window`));
  process.stdout.write(`${markdownTable(FANOUT_HEADERS, [fanoutRow(options, result)])}\n`);
  return result.ok ? 0 : 1;
}

async function fanoutMatrix(options: FanoutMatrixOptions, collect?: CompareFanoutRun[]): Promise<number> {
  const media = await prepareMedia(options.media);
  const runs: Array<{ options: FanoutOptions; result: FanoutResult | undefined; error?: string }> = [];
  const { paths, protocols, viewerCounts, ...common } = options;
  // Paths innermost: each of our rows has the peer's row for the same protocol and viewers right beside it.
  const combos: FanoutOptions[] = [];
  for (const viewers of viewerCounts) for (const protocol of protocols) for (const path of paths) combos.push({ ...common, path, protocol, viewers });
  for (const [i, combo] of combos.entries()) {
    log(`matrix run ${i + 1}/${combos.length}`);
    try {
      runs.push({ options: combo, result: await fanoutOnce(combo, media) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`run failed: ${message}`);
      runs.push({ options: combo, result: undefined, error: message });
    }
  }
  collect?.push(...runs);
  process.stdout.write(fanoutHeading(options, paths, `${options.seconds} s window per run after ${options.warmup} s warm-up`));
  process.stdout.write(`${markdownTable(FANOUT_HEADERS, runs.map((r) => (r.result ? fanoutRow(r.options, r.result) : failedFanoutRow(r.options))))}\n`);
  const failed = runs.filter((r) => !r.result?.ok);
  for (const r of failed) log(`FAILED: ${r.options.path} ${r.options.protocol} ${r.options.viewers}: ${r.error ?? r.result?.failures.join('; ')}`);
  return failed.length === 0 ? 0 : 1;
}

async function capacity(options: CapacityOptions): Promise<number> {
  const media = await prepareMedia(options.media);
  await waitForQuietMachine(options.waitLoad, log);
  const started = new Date();
  log(
    `capacity: ${options.path} path, ${options.protocol} viewers in steps of ${options.steps.join(', ')}; ` +
      `${options.settle} s settle + ${options.seconds} s window per step; limits p99 ${options.maxP99Ms} ms, loss ${options.maxLossPercent} %`,
  );
  const result = await runCapacity(options, media, log);
  const r2 = (v: number) => (Number.isFinite(v) ? round(v, 2) : null);
  await save(
    'capacity',
    {
      scenario: 'capacity',
      date: started.toISOString(),
      machine: machineInfo(),
      loadAverageAtStart: round(loadavg()[0], 2),
      note: options.note,
      server: result.serverName,
      peer: result.peerVersion ? { name: 'node-media-server', version: result.peerVersion } : undefined,
      options: { ...options, media: undefined, save: undefined, note: undefined, pinServer: options.pinServer ?? null, pinLoad: options.pinLoad ?? null },
      media: mediaSummary(media),
      capacity: result.capacity,
      lowerBound: result.lowerBound,
      summary: result.summary,
      idleRssMiB: round(result.idleRssMiB, 1),
      steps: result.steps.map((s) => ({
        ...s,
        windowSeconds: round(s.windowSeconds, 3),
        lossPercent: r2(s.lossPercent),
        latencyMs: { count: s.latencyMs.count, p50: r2(s.latencyMs.p50), p90: r2(s.latencyMs.p90), p99: r2(s.latencyMs.p99), max: r2(s.latencyMs.max) },
        deliveredMbitPerSecond: round(s.deliveredMbitPerSecond, 1),
        serverCpuPercent: round(s.serverCpuPercent, 1),
        serverCpuSecondsPerGB: r2(s.serverCpuSecondsPerGB),
        relayCpuPercent: s.relayCpuPercent === null ? null : round(s.relayCpuPercent, 1),
        serverRssMiB: round(s.serverRssMiB, 1),
        loadCpuPercent: round(s.loadCpuPercent, 1),
        loadLoopDelayP99Ms: r2(s.loadLoopDelayP99Ms),
        otherProcessesCpuPercent: round(s.otherProcessesCpuPercent, 1),
      })),
    },
    options.save,
  );
  process.stdout.write(
    fanoutHeading(
      options,
      [options.path],
      `${options.path} path, ${options.protocol} viewers; ${options.settle} s settle + ${options.seconds} s window per step`,
    ),
  );
  process.stdout.write(`${markdownTable(CAPACITY_HEADERS, result.steps.map(capacityRow))}\n\n`);
  const bound = result.capacity === null ? 'none' : `${result.lowerBound ? '>= ' : ''}${result.capacity} viewers`;
  process.stdout.write(`**Capacity (${options.path}, ${options.protocol}): ${bound}.** ${result.summary}.\n`);
  return 0;
}

async function compare(options: CompareOptions): Promise<number> {
  const started = Date.now();
  const runs: CompareFanoutRun[] = [];
  const ingested: IngestResult[] = [];
  const matrix = await fanoutMatrix(options.matrix, runs);
  const ingestCode = await ingest(options.ingest, ingested);
  process.stdout.write(
    `\nSide by side: the issue's rows, our cluster path (edge -> NATS -> origin; the edge for ingest) and node-media-server ` +
      `${nmsVersion() ?? ''}, from the runs above (CPU-s/GB of the origin or NMS; lower is better everywhere)\n\n`,
  );
  process.stdout.write(`${markdownTable(COMPARE_SUMMARY_HEADERS, compareSummaryRows(runs, ingested))}\n`);
  log(`compare took ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  return matrix === 0 && ingestCode === 0 ? 0 : 1;
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
    case 'fanout':
      return fanout(command.options);
    case 'fanout-matrix':
      return fanoutMatrix(command.options);
    case 'capacity':
      return capacity(command.options);
    case 'compare':
      return compare(command.options);
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
