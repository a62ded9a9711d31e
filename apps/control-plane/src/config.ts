import { randomBytes } from 'node:crypto';
import { envInt } from '@ingest/service';

/** Control plane configuration, from the environment. */
export interface ControlPlaneConfig {
  /** NODE_ID; names the Redis and NATS connections. */
  nodeId: string;
  apiPort: number;
  apiHost: string;
  /** The bearer token every /v1 request must carry. */
  adminToken: string;
  /** True when ADMIN_TOKEN was not set and a random token was generated for this run (development only). */
  adminTokenGenerated: boolean;
  redisUrl: string;
  natsUrl: string;
  metricsPort: number;
  /** Base URLs returned to API callers; a stream key (ingest) or stream name (playback) is appended. No trailing slash. */
  publicIngestUrl: string;
  publicIngestRtmpsUrl: string;
  publicPlaybackRtmpUrl: string;
  publicPlaybackHttpUrl: string;
  /** gRPC AuthorizePublish for the edges. */
  grpcPort: number;
  grpcHost: string;
  /** Webhook receivers of stream events (started, ended, kicked), and the HMAC-SHA256 signing secret. */
  webhookUrls: string[];
  webhookSecret: string;
}

/** Largest accepted request body (JSON), in bytes. */
export const BODY_LIMIT_BYTES = 16 * 1024;

function baseUrl(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  const value = raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL, got '${value}'`);
  }
  if (parsed.search || parsed.hash) throw new Error(`${name} must not have a query or fragment, got '${value}'`);
  return value.replace(/\/+$/, '');
}

/**
 * Reads the configuration. ADMIN_TOKEN is required when NODE_ENV is 'production'; otherwise, when it is unset (or
 * empty), a random token is generated and `adminTokenGenerated` is true so that main() can print it once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const configured = env.ADMIN_TOKEN ?? '';
  if (configured === '' && env.NODE_ENV === 'production') {
    throw new Error('ADMIN_TOKEN is required when NODE_ENV=production');
  }
  if (configured !== '' && /\s/.test(configured)) throw new Error('ADMIN_TOKEN must not contain whitespace');
  const adminTokenGenerated = configured === '';
  return {
    nodeId: env.NODE_ID || `control-plane-${process.pid}`,
    apiPort: envInt(env, 'API_PORT', 3000),
    apiHost: env.API_HOST || '0.0.0.0',
    adminToken: adminTokenGenerated ? randomBytes(24).toString('base64url') : configured,
    adminTokenGenerated,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    metricsPort: envInt(env, 'METRICS_PORT', 9466),
    grpcPort: envInt(env, 'GRPC_PORT', 50051),
    grpcHost: env.GRPC_HOST || '0.0.0.0',
    webhookUrls: (env.WEBHOOK_URLS || '').split(',').map((u) => u.trim()).filter(Boolean).map((u) => {
      if (!/^https?:\/\//.test(u)) throw new Error(`WEBHOOK_URLS entries must be http(s) URLs, got '${u}'`);
      return u;
    }),
    webhookSecret: env.WEBHOOK_SECRET || '',
    publicIngestUrl: baseUrl(env, 'PUBLIC_INGEST_URL', 'rtmp://127.0.0.1:1935/live'),
    publicIngestRtmpsUrl: baseUrl(env, 'PUBLIC_INGEST_RTMPS_URL', 'rtmps://127.0.0.1:1936/live'),
    publicPlaybackRtmpUrl: baseUrl(env, 'PUBLIC_PLAYBACK_RTMP_URL', 'rtmp://127.0.0.1:1945/live'),
    publicPlaybackHttpUrl: baseUrl(env, 'PUBLIC_PLAYBACK_HTTP_URL', 'http://127.0.0.1:8080/live'),
  };
}
