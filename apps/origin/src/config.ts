import { envInt } from '@ingest/service';
import { DEFAULT_MERGE_VIEWERS, DEFAULT_MERGE_WITHIN_MS, type FanoutLimits } from './hub';

/** Origin configuration from the environment (README lists every variable). */
export interface OriginConfig {
  nodeId: string;
  host: string;
  /** Host name put in playback URLs and the node registry. */
  publicHost: string;
  rtmpPort: number;
  httpPort: number;
  metricsPort: number;
  redisUrl: string;
  natsUrl: string;
  chunkSize: number;
  /** Fan-out back-pressure: drop to the next keyframe above this backlog... */
  viewerHighWaterBytes: number;
  /** ...and disconnect above this one, or when behind for longer than maxBehindMs. */
  viewerCutoffBytes: number;
  viewerMaxBehindMs: number;
  /** Longest a message waits to be merged with the next into one write per viewer (0 = per event-loop turn). */
  mergeMs: number;
  /** With at least this many viewers of a stream, a batch waits up to mergeWithinMs for the stream's next message. */
  mergeViewers: number;
  mergeWithinMs: number;
  /** Keep a stream's subscription this long after its last viewer left. */
  lingerMs: number;
  /** A stream with no message for this long, and gone from the registry, is ended. */
  staleMs: number;
  handshakeTimeoutMs: number;
  heartbeatMs: number;
  maxViewers: number;
  /** Accept publishers directly on this port (single-process mode, no edge/NATS on that path); 0 = off. */
  directIngestPort: number;
  /** HLS: segments are cut at the first keyframe of each slot of this length (ms), numbered by slot. */
  hlsTargetMs: number;
  /** HLS: segments listed in the live playlist. */
  hlsWindowSegments: number;
  /** Worker processes (node:cluster) sharing the ports, each a complete origin `<nodeId>-<i>`; 1 = this process serves. */
  workers: number;
}

/** A configuration the origin refuses to start with; `code` names the rule. */
export class OriginConfigError extends Error {
  override readonly name = 'OriginConfigError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The origin's METRICS_PORT when the variable is not set. */
export const ORIGIN_METRICS_PORT = 9465;

/** Reads and validates the configuration; throws an OriginConfigError for a combination that cannot work. */
/** What every stream hub of this origin is held to (direct ingest and relay alike). */
export function fanoutLimits(config: OriginConfig): FanoutLimits {
  return {
    highWaterBytes: config.viewerHighWaterBytes,
    cutoffBytes: config.viewerCutoffBytes,
    maxBehindMs: config.viewerMaxBehindMs,
    mergeMs: config.mergeMs,
    mergeViewers: config.mergeViewers,
    mergeWithinMs: config.mergeWithinMs,
  };
}

export function loadOriginConfig(env: NodeJS.ProcessEnv = process.env): OriginConfig {
  const config: OriginConfig = {
    nodeId: env.NODE_ID || `origin-${process.pid}`,
    host: env.ORIGIN_HOST || '0.0.0.0',
    publicHost: env.PUBLIC_HOST || '127.0.0.1',
    rtmpPort: envInt(env, 'ORIGIN_RTMP_PORT', 1945),
    httpPort: envInt(env, 'ORIGIN_HTTP_PORT', 8080),
    metricsPort: envInt(env, 'METRICS_PORT', ORIGIN_METRICS_PORT),
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    chunkSize: envInt(env, 'ORIGIN_CHUNK_SIZE', 60_000),
    viewerHighWaterBytes: envInt(env, 'ORIGIN_VIEWER_HIGH_WATER_BYTES', 1024 * 1024),
    viewerCutoffBytes: envInt(env, 'ORIGIN_VIEWER_CUTOFF_BYTES', 8 * 1024 * 1024),
    viewerMaxBehindMs: envInt(env, 'ORIGIN_VIEWER_MAX_BEHIND_MS', 10_000),
    mergeMs: envInt(env, 'ORIGIN_MERGE_MS', 0),
    mergeViewers: envInt(env, 'ORIGIN_MERGE_VIEWERS', DEFAULT_MERGE_VIEWERS),
    mergeWithinMs: envInt(env, 'ORIGIN_MERGE_WITHIN_MS', DEFAULT_MERGE_WITHIN_MS),
    lingerMs: envInt(env, 'ORIGIN_LINGER_MS', 30_000),
    staleMs: envInt(env, 'ORIGIN_STALE_MS', 5_000),
    handshakeTimeoutMs: envInt(env, 'ORIGIN_HANDSHAKE_TIMEOUT_MS', 10_000),
    heartbeatMs: envInt(env, 'HEARTBEAT_MS', 2_000),
    maxViewers: envInt(env, 'ORIGIN_MAX_VIEWERS', 10_000),
    directIngestPort: envInt(env, 'ORIGIN_DIRECT_INGEST_PORT', 0),
    hlsTargetMs: envInt(env, 'ORIGIN_HLS_TARGET_MS', 2000),
    hlsWindowSegments: envInt(env, 'ORIGIN_HLS_WINDOW', 6),
    workers: Math.max(1, envInt(env, 'ORIGIN_WORKERS', 1)),
  };
  if (config.workers > 1 && config.directIngestPort > 0) {
    // Direct ingest keeps a publisher's stream inside the process it connected to: viewers that the shared ports
    // hand to another worker would never see it.
    throw new OriginConfigError(
      'ORIGIN_WORKERS_WITH_DIRECT_INGEST',
      `ORIGIN_WORKERS=${config.workers} cannot be combined with ORIGIN_DIRECT_INGEST_PORT=${config.directIngestPort}: a publisher on one worker would not be seen by viewers on another (use ORIGIN_WORKERS=1, or publish through an edge)`,
    );
  }
  return config;
}
