/**
 * The NATS connection every relay user shares: reconnects forever, waits for the first server, and logs each
 * status transition once (a server that stays down gives one "reconnecting" line, not one per attempt).
 *
 * What nats.js (v3) does while disconnected, which the publisher relies on: publish() does not throw (only a
 * closed or draining connection throws), it appends to the client's outbound buffer, and that buffer is reset on
 * every dial attempt - so messages published during an outage are dropped rather than delivered late and the
 * buffer stays bounded by one reconnect interval. Subscriptions are re-sent after a reconnect by the client.
 */
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import type { Logger } from '@ingest/telemetry';

export type { NatsConnection } from '@nats-io/transport-node';

export interface ConnectNatsOptions {
  /** Connection name shown by the server (monitoring, `nats server report connections`). */
  name?: string;
  logger?: Logger;
  /** Delay between reconnect attempts to one server. Default 250 ms. */
  reconnectTimeWaitMs?: number;
  /** Client PING interval: a half-open connection is detected after 2 unanswered pings. Default 10 s. */
  pingIntervalMs?: number;
}

/**
 * Connects to `url` (one URL, or several separated by commas) and returns once connected: with
 * `waitOnFirstConnect` the client keeps trying until a server answers, then reconnects forever.
 */
export async function connectNats(url: string, options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const { logger } = options;
  logger?.debug({ servers }, 'nats connecting');
  const nc = await connect({
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    reconnectJitter: 100,
    waitOnFirstConnect: true,
    pingInterval: options.pingIntervalMs ?? 10_000,
    maxPingOut: 2,
  });
  logger?.info({ server: nc.getServer(), maxPayload: nc.info?.max_payload, name: options.name }, 'nats connected');
  if (logger !== undefined) logStatusTransitions(nc, logger);
  return nc;
}

/** Drains (flushes pending publishes, ends subscriptions) then closes; closes at once if draining hangs. */
export async function closeNats(nc: NatsConnection, timeoutMs = 2000): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([nc.drain().then(() => 'drained' as const), timedOut]);
    if (result === 'timeout' && !nc.isClosed()) await nc.close();
  } catch {
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
  await nc.closed();
}

/**
 * Calls `onStatus` for each status event until the returned function is called or the connection closes.
 * (`nc.status()` gives each caller its own iterator; stopping it unregisters it.)
 */
export function watchStatus(nc: NatsConnection, onStatus: (status: Status) => void): () => void {
  const iterator = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  let stopped = false;
  void (async () => {
    try {
      for await (const status of iterator) {
        if (stopped) break;
        onStatus(status);
      }
    } catch {
      // The iterator ends with the connection; nothing to report.
    }
  })();
  return () => {
    if (stopped) return;
    stopped = true;
    iterator.stop?.();
  };
}

function logStatusTransitions(nc: NatsConnection, logger: Logger): void {
  let last = 'connected';
  watchStatus(nc, (status) => {
    const type = status.type;
    // Pings are routine; every other repeat of the same state (each failed reconnect attempt) is not news.
    if (type === 'ping' || type === last) return;
    last = type;
    switch (type) {
      case 'disconnect':
        logger.warn({ server: status.server }, 'nats disconnected');
        break;
      case 'reconnecting':
        logger.info('nats reconnecting');
        break;
      case 'reconnect':
        logger.info({ server: status.server, maxPayload: nc.info?.max_payload }, 'nats reconnected');
        break;
      case 'error':
        logger.error({ err: status.error }, 'nats error');
        break;
      case 'staleConnection':
        logger.warn('nats connection stale (no pong): reconnecting');
        break;
      case 'slowConsumer':
        logger.warn({ sub: status.sub.getSubject(), pending: status.pending }, 'nats slow consumer');
        break;
      case 'ldm':
        logger.warn({ server: status.server }, 'nats server entering lame duck mode');
        break;
      case 'close':
        logger.info('nats connection closed');
        break;
      default:
        logger.debug({ status: type }, 'nats status');
    }
  });
}
