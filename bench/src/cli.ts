/** Command line of `npm run bench -- <scenario> [options]` (pure: argv in, options or usage text out). */
import { parseArgs } from 'node:util';

export interface ChunkReaderOptions {
  /** Minimum measured seconds per chunk size. */
  seconds: number;
  /** Warm-up seconds per chunk size before measuring. */
  warmup: number;
  /** Bytes handed to ChunkReader.push at a time (a socket read). */
  piece: number;
  sizes: number[];
  media: string | undefined;
  save: boolean;
  note: string | undefined;
}

export interface IngestOptions {
  publishers: number;
  /** Measured window, seconds. */
  seconds: number;
  /** Seconds between the last publisher starting and the window. */
  warmup: number;
  /** Chunk size the publishers announce and send with. */
  chunkSize: number;
  /** `taskset -c` CPU list for the edge process. */
  pinServer: string | undefined;
  /** `taskset -c` CPU list for this (load) process. */
  pinLoad: string | undefined;
  media: string | undefined;
  save: boolean;
  note: string | undefined;
}

export type Command =
  | { scenario: 'help'; text: string }
  | { scenario: 'chunk-reader'; options: ChunkReaderOptions }
  | { scenario: 'ingest'; options: IngestOptions };

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- <scenario> [options]

Scenarios:
  chunk-reader   ChunkReader throughput (in-process CPU micro-benchmark) at chunk sizes 128 and 4096
  ingest         N real-time RTMP publishers into the real edge process: edge CPU-s per GB, RSS, frame counts

Common options:
  --media <file>       FLV to use instead of the generated bench/media stream
  --no-save            do not append the result to bench/results/<scenario>.jsonl
  --note <text>        free text stored with the result (e.g. "server pinned to cpu 1")
  -h, --help           this text (or: <scenario> --help)
`;

export const CHUNK_READER_USAGE = `Usage: npm run bench -- chunk-reader [options]

Encodes every tag of the benchmark FLV into RTMP chunks (ChunkWriter, one byte stream per chunk size, starting
with Set Chunk Size when not 128) and measures ChunkReader.push over that stream in socket-sized pieces.

Options:
  --seconds <s>        measured seconds per chunk size, at least (default 3)
  --warmup <s>         warm-up seconds per chunk size (default 1)
  --piece <bytes>      bytes per push, like one socket read (default 65536)
  --sizes <list>       chunk sizes, comma-separated (default 128,4096)
  --media, --no-save, --note   as for every scenario
`;

export const INGEST_USAGE = `Usage: npm run bench -- ingest [options]

Starts the edge (apps/edge/dist/main.js) on free loopback ports and N publishers in this process, each replaying
the benchmark FLV at real-time pace as bench-<i>; measures the edge's CPU time and RSS over the window.

Options:
  --publishers <n>     publishers (default 20)
  --seconds <s>        measured window in seconds (default 30)
  --warmup <s>         seconds after all publishers started before the window opens (default 5)
  --chunk-size <n>     publishers' outgoing chunk size (default 4096, as OBS and FFmpeg announce)
  --pin-server <cpus>  run the edge under \`taskset -c <cpus>\` (e.g. 1)
  --pin-load <cpus>    pin this load process with \`taskset -a -cp <cpus>\` (e.g. 0)
  --media, --no-save, --note   as for every scenario
`;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

function positiveNumber(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${raw}'`);
  }
  return value;
}

function cpuList(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(raw)) throw new UsageError(`--${name} takes a taskset CPU list such as 1 or 0,2-3, got '${raw}'`);
  return raw;
}

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  media: { type: 'string' },
  save: { type: 'boolean', default: true },
  note: { type: 'string' },
} as const;

export function parseCli(argv: string[]): Command {
  const [scenario, ...rest] = argv;
  if (scenario === undefined || scenario === '-h' || scenario === '--help' || scenario === 'help') return { scenario: 'help', text: USAGE };
  try {
    if (scenario === 'chunk-reader') {
      const { values } = parseArgs({
        args: rest,
        allowNegative: true,
        options: { ...COMMON, seconds: { type: 'string' }, warmup: { type: 'string' }, piece: { type: 'string' }, sizes: { type: 'string' } },
      });
      if (values.help) return { scenario: 'help', text: CHUNK_READER_USAGE };
      const sizes = (values.sizes ?? '128,4096').split(',').map((s) => positiveInt('sizes', s.trim(), 0, 128));
      return {
        scenario,
        options: {
          seconds: positiveNumber('seconds', values.seconds, 3),
          warmup: positiveNumber('warmup', values.warmup, 1, true),
          piece: positiveInt('piece', values.piece, 65536),
          sizes,
          media: values.media,
          save: values.save,
          note: values.note,
        },
      };
    }
    if (scenario === 'ingest') {
      const { values } = parseArgs({
        args: rest,
        allowNegative: true,
        options: {
          ...COMMON,
          publishers: { type: 'string' },
          seconds: { type: 'string' },
          warmup: { type: 'string' },
          'chunk-size': { type: 'string' },
          'pin-server': { type: 'string' },
          'pin-load': { type: 'string' },
        },
      });
      if (values.help) return { scenario: 'help', text: INGEST_USAGE };
      return {
        scenario,
        options: {
          publishers: positiveInt('publishers', values.publishers, 20),
          seconds: positiveNumber('seconds', values.seconds, 30),
          warmup: positiveNumber('warmup', values.warmup, 5, true),
          chunkSize: positiveInt('chunk-size', values['chunk-size'], 4096, 128),
          pinServer: cpuList('pin-server', values['pin-server']),
          pinLoad: cpuList('pin-load', values['pin-load']),
          media: values.media,
          save: values.save,
          note: values.note,
        },
      };
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs: unknown option, missing value, ...
    throw new UsageError((err as Error).message);
  }
  throw new UsageError(`unknown scenario '${scenario}' (chunk-reader, ingest)`);
}
