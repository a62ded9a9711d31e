import { DEFAULT_RELAY_FLUSH_MS } from '@ingest/relay';
import { envInt, envOn } from '@ingest/service';

/** Edge configuration, from the environment (README lists every variable). */
export interface EdgeConfig {
  nodeId: string;
  host: string;
  rtmpPort: number;
  /** 0 disables RTMPS. */
  rtmpsPort: number;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  httpPort: number;
  metricsPort: number;
  /** Application names publishers may connect to (the path segment after the host). */
  apps: string[];
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  /** Outgoing chunk size announced to clients. */
  chunkSize: number;
  maxMessageSize: number;
  /** Commands per second one connection may send before it is cut off as a flood. */
  maxCommandsPerSecond: number;
  /** Time the edge waits for the publish authorizer (and for the registry claim). */
  authorizeTimeoutMs: number;
  redisUrl: string;
  natsUrl: string;
  /** A live stream's registry claim expires this long after the edge's last heartbeat. */
  streamTtlMs: number;
  heartbeatMs: number;
  /** A second publisher of a live stream: refused (reject) or replaces the first (takeover). */
  duplicatePolicy: 'reject' | 'takeover';
  publicHost: string;
  /** 'control-plane' (gRPC AuthorizePublish at controlGrpcUrl) or 'open' (any well-formed name; development). */
  authorization: 'control-plane' | 'open';
  controlGrpcUrl: string;
  /** Longest a media message waits to be coalesced with others into one NATS write (0 = per event-loop turn). */
  relayFlushMs: number;
  /** Flush before the window ends when no stream waits for its next message (RELAY_FLUSH_EARLY=0: off). */
  relayFlushEarly: boolean;
  /** A message waits for its stream's next one when that is due within this many ms (0: same instant only). */
  relayMergeWithinMs: number;
  /** Early flushes come one per this many ms on average (bounds NATS writes with many streams). */
  relayFlushMinGapMs: number;
  /** Batches go to NATS as framed PUB commands (libs/relay nats-wire.ts); RELAY_FRAMED=0 = one publish() per message. */
  relayFramed: boolean;
}

/** The edge's METRICS_PORT when the variable is not set (worker i of EDGE_WORKERS serves on this + i). */
export const EDGE_METRICS_PORT = 9464;

export function loadEdgeConfig(env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const relayFlushMs = envInt(env, 'RELAY_FLUSH_MS', DEFAULT_RELAY_FLUSH_MS);
  return {
    nodeId: env.NODE_ID || `edge-${process.pid}`,
    host: env.EDGE_HOST || '0.0.0.0',
    rtmpPort: envInt(env, 'EDGE_RTMP_PORT', 1935),
    rtmpsPort: envInt(env, 'EDGE_RTMPS_PORT', 1936),
    tlsCertPath: env.EDGE_TLS_CERT || undefined,
    tlsKeyPath: env.EDGE_TLS_KEY || undefined,
    httpPort: envInt(env, 'EDGE_HTTP_PORT', 8081),
    metricsPort: envInt(env, 'METRICS_PORT', EDGE_METRICS_PORT),
    apps: (env.EDGE_APPS || 'live').split(',').map((s) => s.trim()).filter(Boolean),
    handshakeTimeoutMs: envInt(env, 'EDGE_HANDSHAKE_TIMEOUT_MS', 10_000),
    idleTimeoutMs: envInt(env, 'EDGE_IDLE_TIMEOUT_MS', 30_000),
    chunkSize: envInt(env, 'EDGE_CHUNK_SIZE', 4096),
    maxMessageSize: envInt(env, 'EDGE_MAX_MESSAGE_SIZE', 8 * 1024 * 1024),
    maxCommandsPerSecond: envInt(env, 'EDGE_MAX_COMMANDS_PER_SECOND', 200),
    authorizeTimeoutMs: envInt(env, 'EDGE_AUTHORIZE_TIMEOUT_MS', 3000),
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    streamTtlMs: envInt(env, 'STREAM_TTL_MS', 10_000),
    heartbeatMs: envInt(env, 'HEARTBEAT_MS', 2_000),
    duplicatePolicy: env.EDGE_DUPLICATE_POLICY === 'takeover' ? 'takeover' : 'reject',
    publicHost: env.PUBLIC_HOST || '127.0.0.1',
    authorization: env.EDGE_AUTHORIZATION === 'open' ? 'open' : 'control-plane',
    controlGrpcUrl: env.CONTROL_GRPC_URL || '127.0.0.1:50051',
    relayFlushMs,
    relayFlushEarly: envOn(env, 'RELAY_FLUSH_EARLY'),
    relayMergeWithinMs: envInt(env, 'RELAY_MERGE_WITHIN_MS', 0),
    relayFlushMinGapMs: envInt(env, 'RELAY_FLUSH_MIN_GAP_MS', relayFlushMs),
    relayFramed: envOn(env, 'RELAY_FRAMED'),
  };
}
