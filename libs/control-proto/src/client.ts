import * as grpc from '@grpc/grpc-js';
import { createLogger, type Logger } from '@ingest/telemetry';
import { controlServiceClient, normalizeRequest, redact, responseFromWire } from './proto';
import type { AuthorizePublishRequest, AuthorizePublishResponse } from './types';

/**
 * The control plane gave no answer: deadline exceeded, unreachable, connection lost, client closed, or an error
 * status (`grpcCode`: e.g. INTERNAL when its handler failed). The edge refuses the publish. The message never
 * contains the stream key.
 */
export class ControlUnavailableError extends Error {
  override readonly name = 'ControlUnavailableError';
  readonly code = 'CONTROL_UNAVAILABLE' as const;
  /** The gRPC status code (grpc.status), when the call got one. */
  readonly grpcCode: number | undefined;

  constructor(message: string, options: { cause?: unknown; grpcCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.grpcCode = options.grpcCode;
  }
}

export interface ControlClientOptions {
  /** Reachability transitions (unreachable / reachable again) are logged here once each; default createLogger('control-client'). */
  logger?: Logger;
}

/**
 * Channel options: one long-lived HTTP/2 connection, checked by keepalive pings (also while idle, so a dead
 * control plane is noticed between publishes), and reconnected with a short back-off (100 ms doubling to 1 s)
 * so the edge is back soon after the control plane is. DNS names are re-resolved at most once a second (a restarted
 * control plane may have a new address). The private subchannel pool makes close() really close the connection.
 * The keepalive interval suits the grpc-js server of startControlGrpcServer (other servers may enforce a minimum).
 */
export const CONTROL_CHANNEL_OPTIONS: grpc.ChannelOptions = Object.freeze({
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.dns_min_time_between_resolutions_ms': 1_000,
  'grpc.use_local_subchannel_pool': 1,
  'grpc.max_receive_message_length': 64 * 1024,
});

type UnaryMethod = (
  request: unknown,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * The edge's client of the control plane: one channel to `address` ('host:port'), plain-text gRPC. Calls fail fast
 * (no waiting for a connection beyond the deadline, no queueing while the control plane is down) with
 * ControlUnavailableError; the channel keeps reconnecting in the background, so the next call after the control plane
 * is back succeeds.
 */
export class ControlClient {
  private readonly client: grpc.Client;
  private readonly logger: Logger;
  private reachable: boolean | undefined;
  private closed = false;

  constructor(
    readonly address: string,
    options: ControlClientOptions = {},
  ) {
    this.logger = (options.logger ?? createLogger('control-client')).child({ controlAddress: address });
    const Control = controlServiceClient();
    this.client = new Control(address, grpc.credentials.createInsecure(), { ...CONTROL_CHANNEL_OPTIONS });
    // Connect now, so the first publish does not pay for the handshake.
    this.client.getChannel().getConnectivityState(true);
  }

  /**
   * Asks whether `request.key` may publish. Rejects with ControlUnavailableError when there is no answer within
   * `deadlineMs`, the control plane is unreachable (at once, while the channel is disconnected), or the call fails
   * in any other way.
   */
  authorizePublish(request: AuthorizePublishRequest, deadlineMs: number): Promise<AuthorizePublishResponse> {
    if (this.closed) return Promise.reject(new ControlUnavailableError('control client is closed'));
    if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) return Promise.reject(new RangeError(`authorizePublish: deadlineMs must be a positive number (got ${String(deadlineMs)})`));
    const message = normalizeRequest(request);
    return new Promise((resolve, reject) => {
      const method = (this.client as unknown as { AuthorizePublish: UnaryMethod }).AuthorizePublish.bind(this.client);
      try {
        method(message, { deadline: Date.now() + deadlineMs }, (err, response) => {
          if (err) {
            reject(this.failed(err, message.key));
            return;
          }
          this.succeeded();
          resolve(responseFromWire(response));
        });
      } catch (err) {
        // e.g. the channel was closed meanwhile.
        reject(this.failed(err, message.key));
      }
    });
  }

  /** Closes the channel; later calls reject with ControlUnavailableError. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private succeeded(): void {
    if (this.reachable === false) this.logger.info('control plane reachable again');
    this.reachable = true;
  }

  private failed(err: unknown, key: string): ControlUnavailableError {
    const grpcCode = typeof (err as { code?: unknown })?.code === 'number' ? (err as grpc.ServiceError).code : undefined;
    const statusName = grpcCode === undefined ? 'error' : (grpc.status[grpcCode] ?? String(grpcCode));
    const details = redact(err instanceof Error ? ((err as Partial<grpc.ServiceError>).details ?? err.message) : String(err), key);
    const error = new ControlUnavailableError(`control plane unavailable (${statusName}): ${details}`, { grpcCode });
    // Transport trouble is logged once per outage; an error status from a reachable control plane every time.
    const transport = grpcCode === undefined || grpcCode === grpc.status.UNAVAILABLE || grpcCode === grpc.status.DEADLINE_EXCEEDED || grpcCode === grpc.status.CANCELLED;
    if (!this.closed) {
      if (!transport) this.logger.warn({ grpcCode: statusName, details }, 'control plane call failed');
      else if (this.reachable !== false) this.logger.warn({ grpcCode: statusName, details }, 'control plane unreachable; publishes are refused until it is back');
    }
    if (transport) this.reachable = false;
    return error;
  }
}
