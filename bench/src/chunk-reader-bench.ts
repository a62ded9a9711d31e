/**
 * Scenario chunk-reader: ChunkReader throughput, in process, no sockets.
 *
 * Every tag of the benchmark FLV becomes one RTMP message (audio on csid 4, video on csid 6, script data on
 * csid 5, message stream 1, the tag's timestamp), chunked by one ChunkWriter per chunk size exactly as a publisher
 * sends it: for sizes other than 128 the stream starts with Set Chunk Size (at 128, on csid 2). The reader then
 * parses that byte stream fed in `piece`-byte slices (default 64 KiB, a typical socket read), one fresh reader
 * per pass, passes repeated until the measured time reaches `seconds`. Each pass is checked (message count and
 * payload bytes) before anything is measured.
 */
import { performance } from 'node:perf_hooks';
import { ChunkReader, ChunkStream, ChunkWriter, genSetChunkSize, MessageType } from '@ingest/rtmp';
import type { ChunkReaderOptions } from './cli';
import type { MediaTag } from './media';

export interface ChunkStreamBytes {
  chunkSize: number;
  bytes: Buffer;
  /** Messages the reader must deliver (the Set Chunk Size included). */
  messages: number;
  /** Sum of their payload lengths. */
  payloadBytes: number;
}

export function csidFor(type: number): number {
  return type === MessageType.Audio ? ChunkStream.Audio : type === MessageType.Video ? ChunkStream.Video : ChunkStream.Data;
}

/** The byte stream a publisher sends for these tags at this chunk size (after connect/publish). */
export function encodeChunkStream(tags: readonly MediaTag[], chunkSize: number, streamId = 1): ChunkStreamBytes {
  const writer = new ChunkWriter();
  const parts: Buffer[] = [];
  let messages = 0;
  let payloadBytes = 0;
  if (chunkSize !== writer.chunkSize) {
    const body = genSetChunkSize(chunkSize);
    parts.push(writer.encode(ChunkStream.Protocol, MessageType.SetChunkSize, 0, 0, body));
    writer.chunkSize = chunkSize;
    messages++;
    payloadBytes += body.length;
  }
  for (const tag of tags) {
    parts.push(writer.encode(csidFor(tag.type), tag.type, streamId, tag.timestamp, tag.body));
    messages++;
    payloadBytes += tag.body.length;
  }
  return { chunkSize, bytes: Buffer.concat(parts), messages, payloadBytes };
}

interface PassResult {
  messages: number;
  payloadBytes: number;
}

/** One pass: a fresh reader over the whole stream in `piece`-byte slices (views, no copies). */
export function readPass(stream: Buffer, piece: number): PassResult {
  const result: PassResult = { messages: 0, payloadBytes: 0 };
  const reader = new ChunkReader((message) => {
    result.messages++;
    result.payloadBytes += message.payload.length;
  });
  const end = stream.length;
  for (let offset = 0; offset < end; offset += piece) reader.push(stream.subarray(offset, Math.min(offset + piece, end)));
  return result;
}

export interface ChunkReaderResult {
  chunkSize: number;
  streamBytes: number;
  messagesPerPass: number;
  /** Chunk headers as a share of the stream. */
  overheadPercent: number;
  warmupPasses: number;
  passes: number;
  seconds: number;
  mbPerSecond: number;
  messagesPerSecond: number;
  /** Median over passes, MB/s (1 MB = 10^6 bytes). */
  medianPassMBps: number;
  minPassMBps: number;
  maxPassMBps: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function measureChunkReader(
  stream: ChunkStreamBytes,
  options: Pick<ChunkReaderOptions, 'seconds' | 'warmup' | 'piece'>,
  progress: (line: string) => void,
): ChunkReaderResult {
  const check = readPass(stream.bytes, options.piece);
  if (check.messages !== stream.messages || check.payloadBytes !== stream.payloadBytes) {
    throw new Error(
      `chunk size ${stream.chunkSize}: reader delivered ${check.messages} messages / ${check.payloadBytes} bytes, expected ${stream.messages} / ${stream.payloadBytes}`,
    );
  }
  const warmupEnd = performance.now() + options.warmup * 1000;
  let warmupPasses = 0;
  do {
    readPass(stream.bytes, options.piece);
    warmupPasses++;
  } while (performance.now() < warmupEnd);

  const passSeconds: number[] = [];
  let total = 0;
  let nextReport = 1;
  while (total < options.seconds) {
    const t0 = performance.now();
    readPass(stream.bytes, options.piece);
    const dt = (performance.now() - t0) / 1000;
    passSeconds.push(dt);
    total += dt;
    if (total >= nextReport) {
      const mbps = (stream.bytes.length * passSeconds.length) / total / 1e6;
      progress(`chunk size ${stream.chunkSize}: ${total.toFixed(1)} s, ${passSeconds.length} passes, ${mbps.toFixed(0)} MB/s so far`);
      nextReport++;
    }
  }
  const passMBps = passSeconds.map((s) => stream.bytes.length / s / 1e6);
  const passes = passSeconds.length;
  return {
    chunkSize: stream.chunkSize,
    streamBytes: stream.bytes.length,
    messagesPerPass: stream.messages,
    overheadPercent: ((stream.bytes.length - stream.payloadBytes) / stream.bytes.length) * 100,
    warmupPasses,
    passes,
    seconds: total,
    mbPerSecond: (stream.bytes.length * passes) / total / 1e6,
    messagesPerSecond: (stream.messages * passes) / total,
    medianPassMBps: median(passMBps),
    minPassMBps: Math.min(...passMBps),
    maxPassMBps: Math.max(...passMBps),
  };
}
