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

/** edge: our edge (apps/edge, with its private Redis and NATS); nms: node-media-server 4, the peer. */
export type IngestServer = 'edge' | 'nms';
export const INGEST_SERVERS: readonly IngestServer[] = ['edge', 'nms'];

export interface IngestOptions {
  /** The servers to ingest into, one after the other, in one table. */
  servers: IngestServer[];
  publishers: number;
  /** Measured window, seconds. */
  seconds: number;
  /** Seconds between the last publisher starting and the window. */
  warmup: number;
  /** Chunk size the publishers announce and send with. */
  chunkSize: number;
  /** `taskset -c` CPU list for the server (the edge or NMS). */
  pinServer: string | undefined;
  /** `taskset -c` CPU list for this (load) process. */
  pinLoad: string | undefined;
  media: string | undefined;
  save: boolean;
  note: string | undefined;
}

export type FanoutProtocol = 'rtmp' | 'http-flv' | 'ws-flv';
export const FANOUT_PROTOCOLS: readonly FanoutProtocol[] = ['rtmp', 'http-flv', 'ws-flv'];
/**
 * cluster: publisher -> edge -> NATS -> origin -> viewers; single: publisher -> origin (direct ingest) -> viewers;
 * nms: publisher -> node-media-server 4 -> viewers (the peer).
 */
export type FanoutPath = 'cluster' | 'single' | 'nms';
export const FANOUT_PATHS: readonly FanoutPath[] = ['cluster', 'single', 'nms'];

/** What the fanout scenario and its matrix share. */
export interface FanoutCommonOptions {
  /** Measured window, seconds. */
  seconds: number;
  /** Seconds between the last viewer connecting and the window. */
  warmup: number;
  /** Seconds over which the viewers' connections are spread. */
  connectSeconds: number;
  /** The publisher's outgoing chunk size. */
  chunkSize: number;
  /** `taskset -c` CPU list for the edge, the origin, NMS and nats-server. */
  pinServer: string | undefined;
  /** `taskset -c` CPU list for this (load) process. */
  pinLoad: string | undefined;
  /** Before each run, wait (up to 15 min) until the 1-minute load average is below this; 0 = do not wait. */
  waitLoad: number;
  media: string | undefined;
  save: boolean;
  note: string | undefined;
}

export interface FanoutOptions extends FanoutCommonOptions {
  path: FanoutPath;
  protocol: FanoutProtocol;
  viewers: number;
}

export interface FanoutMatrixOptions extends FanoutCommonOptions {
  paths: FanoutPath[];
  protocols: FanoutProtocol[];
  viewerCounts: number[];
}

export interface CapacityOptions {
  path: FanoutPath;
  protocol: FanoutProtocol;
  /** Viewer counts, increasing; each step adds viewers up to the next count. */
  steps: number[];
  /** Measured window per step, seconds. */
  seconds: number;
  /** Seconds between a step's last viewer connecting and its window. */
  settle: number;
  /** Seconds over which each step's new viewers connect. */
  connectSeconds: number;
  chunkSize: number;
  pinServer: string | undefined;
  pinLoad: string | undefined;
  waitLoad: number;
  /** A step fails when its p99 latency is above this (ms) ... */
  maxP99Ms: number;
  /** ... or its loss (messages not received, disconnects and failed connections included) above this (%). */
  maxLossPercent: number;
  /** The load process counts as saturated at this much of one core (%) over a window. */
  maxLoadCpuPercent: number;
  media: string | undefined;
  save: boolean;
  note: string | undefined;
}

/** fanout-matrix, then ingest into our edge and into NMS: every figure with its peer beside it. */
export interface CompareOptions {
  matrix: FanoutMatrixOptions;
  ingest: IngestOptions;
}

export type Command =
  | { scenario: 'help'; text: string }
  | { scenario: 'chunk-reader'; options: ChunkReaderOptions }
  | { scenario: 'ingest'; options: IngestOptions }
  | { scenario: 'fanout'; options: FanoutOptions }
  | { scenario: 'fanout-matrix'; options: FanoutMatrixOptions }
  | { scenario: 'capacity'; options: CapacityOptions }
  | { scenario: 'compare'; options: CompareOptions };

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- <scenario> [options]

Scenarios:
  chunk-reader   ChunkReader throughput (in-process CPU micro-benchmark) at chunk sizes 128 and 4096
  ingest         N real-time RTMP publishers into the real edge process (or node-media-server: --server nms,
                 or both: --server edge,nms): server CPU-s per GB, RSS, frame counts
  ingest-compare ingest --server edge,nms: our edge and node-media-server back to back, one table
  fanout         one real-time publisher, N viewers on one server (cluster path, single process, or
                 node-media-server: --path nms): server CPU-s per GB delivered, publisher-to-viewer latency,
                 RSS per viewer, delivery checks
  fanout-matrix  fanout for {cluster, single, nms} x {rtmp, http-flv, ws-flv} x {100, 800} viewers, one table
  capacity       one publisher, viewers stepped up until p99 latency > 1 s or loss > 1 % (or the load tool
                 saturates): the largest passing step
  compare        fanout-matrix, then ingest-compare: our figures and node-media-server's, same run

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
       npm run bench -- ingest-compare [options]     (the same as ingest --server edge,nms)

Starts the edge (apps/edge/dist/main.js) on free loopback ports and N publishers in this process, each replaying
the benchmark FLV at real-time pace as bench-<i>; measures the edge's CPU time and RSS over the window.
With --server nms the same publishers go into node-media-server 4 instead (no Redis, no NATS).

Options:
  --server <list>      edge (default), nms, or edge,nms: each in turn, one combined table
  --publishers <n>     publishers (default 20)
  --seconds <s>        measured window in seconds (default 30)
  --warmup <s>         seconds after all publishers started before the window opens (default 5)
  --chunk-size <n>     publishers' outgoing chunk size (default 4096, as OBS and FFmpeg announce)
  --pin-server <cpus>  run the edge (or NMS) under \`taskset -c <cpus>\` (e.g. 1)
  --pin-load <cpus>    pin this load process with \`taskset -a -cp <cpus>\` (e.g. 0)
  --media, --no-save, --note   as for every scenario
`;

export const FANOUT_USAGE = `Usage: npm run bench -- fanout [options]

One publisher replays the benchmark FLV (720p30, 2.66 Mbit/s) at real-time pace as bench-0; N viewers in this
process play it from one origin. Measures the origin's CPU per GB delivered (and the edge's and nats-server's),
the latency from the publisher's socket write to the viewer's receive, the origin's RSS per viewer, and checks
that every viewer got every message of the window.

Options:
  --path <p>           cluster (default): publisher -> edge -> NATS -> origin, with a private Redis and NATS;
                       single: publisher -> the origin's ORIGIN_DIRECT_INGEST_PORT (no edge, no NATS on the path);
                       nms: publisher -> node-media-server 4 -> viewers (the peer; no Redis, no NATS)
  --protocol <p>       rtmp (default), http-flv or ws-flv
  --viewers <n>        viewers (default 100)
  --seconds <s>        measured window in seconds (default 30)
  --warmup <s>         seconds after the last viewer connected before the window opens (default 5)
  --connect-seconds <s>  spread the viewers' connections over this long (default 1.5)
  --chunk-size <n>     the publisher's outgoing chunk size (default 4096)
  --pin-server <cpus>  run the edge and the origin (or NMS) under \`taskset -c <cpus>\`, and pin nats-server there
  --pin-load <cpus>    pin this load process with \`taskset -a -cp <cpus>\`
  --wait-load <x>      first wait until the 1-minute load average is below x (default 0: do not wait)
  --matrix             run fanout-matrix instead (its options below)
  --media, --no-save, --note   as for every scenario
`;

export const FANOUT_MATRIX_USAGE = `Usage: npm run bench -- fanout-matrix [options]

Runs the fanout scenario for every combination and prints one combined table (each run is also appended to
bench/results/fanout.jsonl).

Options:
  --paths <list>       default cluster,single,nms
  --protocols <list>   default rtmp,http-flv,ws-flv
  --viewers <list>     default 100,800
  --seconds <s>        measured window per run (default 20)
  --wait-load <x>      before each run, wait until the 1-minute load average is below x (default 0.5; 0: never)
  --warmup, --connect-seconds, --chunk-size, --pin-server, --pin-load, --media, --no-save, --note   as for fanout
`;

export const CAPACITY_USAGE = `Usage: npm run bench -- capacity [options]

One publisher replays the benchmark FLV at real-time pace; viewers are added step by step on one server (each step
tops the playing viewers up to the next count). Each step waits --settle seconds, then measures a --seconds window:
p99 latency from the publisher's write to the viewers' receive, and loss (the window's messages the step's viewers
did not receive; viewers that failed to connect or were disconnected count as receiving nothing after that). The
run stops at the first failing step (p99 > --max-p99-ms or loss > --max-loss) or when this load process is
saturated (its CPU >= --max-load-cpu % of a core); the capacity is the largest passing step, a lower bound when the
load process saturated first.

Options:
  --path <p>           cluster (default), single or nms, as for fanout
  --protocol <p>       rtmp (default), http-flv or ws-flv
  --steps <list>       viewer counts (default 100,200,400,800,1200,1600,2000,2400,2800,3200)
  --seconds <s>        measured window per step (default 10)
  --settle <s>         seconds after a step's viewers connected before its window (default 3)
  --connect-seconds <s>  spread each step's new viewers over this long (default 2)
  --max-p99-ms <ms>    a step fails above this p99 latency (default 1000)
  --max-loss <pct>     a step fails above this loss in % (default 1)
  --max-load-cpu <pct> the load process is saturated at this CPU, % of one core (default 90)
  --chunk-size, --pin-server, --pin-load, --wait-load, --media, --no-save, --note   as for fanout
`;

export const COMPARE_USAGE = `Usage: npm run bench -- compare [options]

fanout-matrix (every path, nms included, x protocols x viewer counts), then ingest-compare (our edge and
node-media-server with the same publishers): every figure beside its peer's, measured in the same run. The matrix
table is printed when the matrix is done, the ingest table at the end. With the defaults (18 fan-out runs of 5 s
warm-up + 15 s window, 2 ingest runs of 5 + 30 s) it takes 8 to 10 minutes.

Options:
  --paths, --protocols, --viewers   as for fanout-matrix (defaults cluster,single,nms; rtmp,http-flv,ws-flv; 100,800)
  --seconds <s>        fan-out window per run (default 15)
  --publishers <n>     ingest publishers (default 20)
  --ingest-seconds <s> ingest window per server (default 30)
  --wait-load <x>      before each fan-out run, wait until the 1-minute load average is below x (default 0: never)
  --warmup, --connect-seconds, --chunk-size, --pin-server, --pin-load, --media, --no-save, --note   as for fanout
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

function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** A strictly increasing list of positive integers (capacity steps). */
function increasingInts(name: string, raw: string | undefined, fallback: number[]): number[] {
  const items = listOf(name, raw, fallback, (v) => positiveInt(name, v, 0));
  if (items.some((v, i) => i > 0 && v <= items[i - 1])) throw new UsageError(`--${name} must increase, got '${raw}'`);
  return items;
}

function listOf<T>(name: string, raw: string | undefined, fallback: T[], item: (value: string) => T): T[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${name} takes a comma-separated list, got '${raw}'`);
  return items.map(item);
}

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  media: { type: 'string' },
  save: { type: 'boolean', default: true },
  note: { type: 'string' },
} as const;

/** Options of every scenario with servers and a load: COMMON, the publishers' chunk size and the pinning. */
const LOAD = {
  ...COMMON,
  seconds: { type: 'string' },
  'chunk-size': { type: 'string' },
  'pin-server': { type: 'string' },
  'pin-load': { type: 'string' },
} as const;

/** LOAD and the fan-out scenarios' own: the viewers' connection spread and the quiet-machine wait. */
const FANOUT_LOAD = {
  ...LOAD,
  'connect-seconds': { type: 'string' },
  'wait-load': { type: 'string' },
} as const;

/** The matrix's lists (fanout takes --viewers too). */
const MATRIX_LISTS = {
  viewers: { type: 'string' },
  paths: { type: 'string' },
  protocols: { type: 'string' },
} as const;

/** What LOAD's options and COMMON's parse to. */
function loadOptions(values: { 'chunk-size'?: string; 'pin-server'?: string; 'pin-load'?: string; media?: string; save: boolean; note?: string }) {
  return {
    chunkSize: positiveInt('chunk-size', values['chunk-size'], 4096, 128),
    pinServer: cpuList('pin-server', values['pin-server']),
    pinLoad: cpuList('pin-load', values['pin-load']),
    media: values.media,
    save: values.save,
    note: values.note,
  };
}

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
    if (scenario === 'ingest' || scenario === 'ingest-compare') {
      const { values } = parseArgs({
        args: rest,
        allowNegative: true,
        options: { ...LOAD, server: { type: 'string' }, publishers: { type: 'string' }, warmup: { type: 'string' } },
      });
      if (values.help) return { scenario: 'help', text: INGEST_USAGE };
      if (scenario === 'ingest-compare' && values.server !== undefined) throw new UsageError('ingest-compare always runs edge,nms; use ingest --server for others');
      const fallback: IngestServer[] = scenario === 'ingest' ? ['edge'] : [...INGEST_SERVERS];
      const servers = listOf('server', values.server, fallback, (v) => oneOf('server', v, INGEST_SERVERS, 'edge'));
      return {
        scenario: 'ingest',
        options: {
          servers: [...new Set(servers)],
          publishers: positiveInt('publishers', values.publishers, 20),
          seconds: positiveNumber('seconds', values.seconds, 30),
          warmup: positiveNumber('warmup', values.warmup, 5, true),
          ...loadOptions(values),
        },
      };
    }
    if (scenario === 'fanout' || scenario === 'fanout-matrix') {
      const { values } = parseArgs({
        args: rest,
        allowNegative: true,
        options: {
          ...FANOUT_LOAD,
          ...MATRIX_LISTS,
          matrix: { type: 'boolean' },
          path: { type: 'string' },
          protocol: { type: 'string' },
          warmup: { type: 'string' },
        },
      });
      const matrix = scenario === 'fanout-matrix' || values.matrix === true;
      if (values.help) return { scenario: 'help', text: matrix ? FANOUT_MATRIX_USAGE : FANOUT_USAGE };
      const common: FanoutCommonOptions = {
        seconds: positiveNumber('seconds', values.seconds, matrix ? 20 : 30),
        warmup: positiveNumber('warmup', values.warmup, 5, true),
        connectSeconds: positiveNumber('connect-seconds', values['connect-seconds'], 1.5, true),
        waitLoad: positiveNumber('wait-load', values['wait-load'], matrix ? 0.5 : 0, true),
        ...loadOptions(values),
      };
      if (matrix) {
        for (const single of ['path', 'protocol'] as const) {
          if (values[single] !== undefined) throw new UsageError(`fanout-matrix takes --${single}s <list>, not --${single}`);
        }
        return {
          scenario: 'fanout-matrix',
          options: {
            ...common,
            ...matrixLists(values),
          },
        };
      }
      for (const list of ['paths', 'protocols'] as const) {
        if (values[list] !== undefined) throw new UsageError(`--${list} is for fanout-matrix; fanout takes --${list.slice(0, -1)}`);
      }
      return {
        scenario: 'fanout',
        options: {
          ...common,
          path: oneOf('path', values.path, FANOUT_PATHS, 'cluster'),
          protocol: oneOf('protocol', values.protocol, FANOUT_PROTOCOLS, 'rtmp'),
          viewers: positiveInt('viewers', values.viewers, 100),
        },
      };
    }
    if (scenario === 'capacity') return parseCapacity(rest);
    if (scenario === 'compare') return parseCompare(rest);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs: unknown option, missing value, ...
    throw new UsageError((err as Error).message);
  }
  throw new UsageError(`unknown scenario '${scenario}' (chunk-reader, ingest, ingest-compare, fanout, fanout-matrix, capacity, compare)`);
}

/** The fan-out matrix's three lists, with their defaults: every path (the peer included) x every protocol x {100, 800}. */
function matrixLists(values: { paths?: string; protocols?: string; viewers?: string }): Pick<FanoutMatrixOptions, 'paths' | 'protocols' | 'viewerCounts'> {
  return {
    paths: listOf('paths', values.paths, [...FANOUT_PATHS], (v) => oneOf('paths', v, FANOUT_PATHS, 'cluster')),
    protocols: listOf('protocols', values.protocols, [...FANOUT_PROTOCOLS], (v) => oneOf('protocols', v, FANOUT_PROTOCOLS, 'rtmp')),
    viewerCounts: listOf('viewers', values.viewers, [100, 800], (v) => positiveInt('viewers', v, 0)),
  };
}

function parseCapacity(args: string[]): Command {
  const { values } = parseArgs({
    args,
    allowNegative: true,
    options: {
      ...FANOUT_LOAD,
      path: { type: 'string' },
      protocol: { type: 'string' },
      steps: { type: 'string' },
      settle: { type: 'string' },
      'max-p99-ms': { type: 'string' },
      'max-loss': { type: 'string' },
      'max-load-cpu': { type: 'string' },
    },
  });
  if (values.help) return { scenario: 'help', text: CAPACITY_USAGE };
  return {
    scenario: 'capacity',
    options: {
      path: oneOf('path', values.path, FANOUT_PATHS, 'cluster'),
      protocol: oneOf('protocol', values.protocol, FANOUT_PROTOCOLS, 'rtmp'),
      steps: increasingInts('steps', values.steps, [100, 200, 400, 800, 1200, 1600, 2000, 2400, 2800, 3200]),
      seconds: positiveNumber('seconds', values.seconds, 10),
      settle: positiveNumber('settle', values.settle, 3, true),
      connectSeconds: positiveNumber('connect-seconds', values['connect-seconds'], 2, true),
      waitLoad: positiveNumber('wait-load', values['wait-load'], 0, true),
      maxP99Ms: positiveNumber('max-p99-ms', values['max-p99-ms'], 1000),
      maxLossPercent: positiveNumber('max-loss', values['max-loss'], 1, true),
      maxLoadCpuPercent: positiveNumber('max-load-cpu', values['max-load-cpu'], 90),
      ...loadOptions(values),
    },
  };
}

function parseCompare(args: string[]): Command {
  const { values } = parseArgs({
    args,
    allowNegative: true,
    options: {
      ...FANOUT_LOAD,
      ...MATRIX_LISTS,
      warmup: { type: 'string' },
      publishers: { type: 'string' },
      'ingest-seconds': { type: 'string' },
    },
  });
  if (values.help) return { scenario: 'help', text: COMPARE_USAGE };
  const shared = { warmup: positiveNumber('warmup', values.warmup, 5, true), ...loadOptions(values) };
  return {
    scenario: 'compare',
    options: {
      matrix: {
        ...shared,
        ...matrixLists(values),
        seconds: positiveNumber('seconds', values.seconds, 15),
        connectSeconds: positiveNumber('connect-seconds', values['connect-seconds'], 1.5, true),
        waitLoad: positiveNumber('wait-load', values['wait-load'], 0, true),
      },
      ingest: {
        ...shared,
        servers: [...INGEST_SERVERS],
        publishers: positiveInt('publishers', values.publishers, 20),
        seconds: positiveNumber('ingest-seconds', values['ingest-seconds'], 30),
      },
    },
  };
}
