import * as grpc from '@grpc/grpc-js';
import { createLogger, type Logger } from '@ingest/telemetry';
import { controlServiceClient, normalizeRequest, redact, responseToWire } from './proto';
import type { ControlService } from './types';

export interface ControlGrpcServerOptions {
  /** 0 = a free port (see the result's `port`). */
  port: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Default createLogger('control-grpc'). */
  logger?: Logger;
}

export interface ControlGrpcServer {
  /** The bound port. */
  readonly port: number;
  /** Stops listening; in-flight calls get up to 1 s to finish, then are cancelled. Safe to call twice. */
  close(): Promise<void>;
}

/** Message of the INTERNAL status a failed handler answers with (details stay in the server log). */
export const INTERNAL_ERROR_MESSAGE = 'control plane internal error';

const SHUTDOWN_GRACE_MS = 1000;

export const CONTROL_SERVER_OPTIONS: grpc.ServerOptions = Object.freeze({
  // Detect dead edges (half-open connections) and drop them.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 64 * 1024,
});

/** The error as log fields, with the stream key cut out of its message and stack. */
function loggableError(err: unknown, key: string): Record<string, unknown> {
  if (err instanceof Error) {
    return { type: err.name, message: redact(err.message, key), ...(err.stack ? { stack: redact(err.stack, key) } : {}) };
  }
  return { message: redact(String(err), key) };
}

/**
 * Serves ingest.control.v1.Control with `service` (insecure: run it on a private network, or behind mTLS termination).
 * A handler that throws or rejects, or answers something that is not a valid AuthorizePublishResponse, makes the call
 * fail with INTERNAL and the generic INTERNAL_ERROR_MESSAGE; the error is logged without the stream key.
 */
export function startControlGrpcServer(service: ControlService, options: ControlGrpcServerOptions): Promise<ControlGrpcServer> {
  const host = options.host ?? '0.0.0.0';
  const logger = options.logger ?? createLogger('control-grpc');
  const server = new grpc.Server({ ...CONTROL_SERVER_OPTIONS });

  const authorizePublish: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
    const request = normalizeRequest(call.request);
    Promise.resolve()
      .then(() => service.authorizePublish(request))
      .then(responseToWire)
      .then(
        (response) => {
          if (!call.cancelled) callback(null, response);
        },
        (err: unknown) => {
          logger.error(
            { err: loggableError(err, request.key), edgeId: request.edgeId, app: request.app, remoteAddress: request.remoteAddress, protocol: request.protocol },
            'AuthorizePublish failed',
          );
          if (!call.cancelled) callback({ code: grpc.status.INTERNAL, details: INTERNAL_ERROR_MESSAGE });
        },
      );
  };
  server.addService(controlServiceClient().service, { AuthorizePublish: authorizePublish });

  const target = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${options.port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) {
        server.forceShutdown();
        reject(new Error(`control gRPC server: cannot listen on ${target}: ${err.message}`, { cause: err }));
        return;
      }
      logger.info({ host, port }, 'control gRPC server listening');
      let closing: Promise<void> | undefined;
      resolve({
        port,
        close() {
          closing ??= new Promise<void>((done) => {
            const timer = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
            server.tryShutdown(() => {
              clearTimeout(timer);
              logger.info({ host, port }, 'control gRPC server closed');
              done();
            });
          });
          return closing;
        },
      });
    });
  });
}
