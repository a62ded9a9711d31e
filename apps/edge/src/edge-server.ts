/**
 * The edge node: RTMP and RTMPS listeners sharing one connection implementation, and the status endpoint.
 */
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Server as HttpServer } from 'node:http';
import { listen } from '@ingest/service';
import type { Logger, Metrics } from '@ingest/telemetry';
import type { EventPublisher } from '@ingest/events';
import type { PublishAuthorizer } from './authorizer';
import type { EdgeCluster } from './cluster';
import type { EdgeConfig } from './config';
import { EdgeConnection, type ConnectionContext, type Transport } from './connection';
import { createStatusServer } from './http-status';
import { createEdgeInstruments } from './metrics';
import { StreamTable } from './stream-table';

export interface EdgeDependencies {
  logger: Logger;
  meter: Metrics['meter'];
  cluster: EdgeCluster;
  authorizer: PublishAuthorizer;
  events?: EventPublisher;
}

export class EdgeServer {
  readonly streams = new StreamTable();
  private readonly connections = new Set<EdgeConnection>();
  private idleSweep: NodeJS.Timeout | undefined;
  private readonly servers: Array<{ name: string; server: Server; port: number }> = [];
  private http: HttpServer | undefined;
  private readonly ctx: ConnectionContext;
  private stopping = false;
  private started = false;

  constructor(
    readonly config: EdgeConfig,
    private readonly deps: EdgeDependencies,
  ) {
    this.ctx = {
      config,
      logger: deps.logger,
      instruments: createEdgeInstruments(deps.meter),
      authorizer: deps.authorizer,
      events: deps.events,
      streams: this.streams,
      cluster: deps.cluster,
    };
  }

  /** For the node heartbeat. */
  load(): { connections: number; streams: number } {
    return { connections: this.connections.size, streams: this.streams.size };
  }

  async start(): Promise<void> {
    const { config } = this;
    const { logger } = this.deps;
    const rtmp = createTcpServer({ noDelay: true }, (socket) => this.accept(socket, 'rtmp'));
    this.servers.push({ name: 'rtmp', server: rtmp, port: await listen(rtmp, config.rtmpPort, config.host) });

    if (config.rtmpsPort > 0) {
      if (!config.tlsCertPath || !config.tlsKeyPath) {
        logger.warn({ code: 'EDGE_TLS_NOT_CONFIGURED' }, 'RTMPS disabled: set EDGE_TLS_CERT and EDGE_TLS_KEY to certificate and key files');
      } else {
        const tls = createTlsServer({
          cert: readFileSync(config.tlsCertPath),
          key: readFileSync(config.tlsKeyPath),
          handshakeTimeout: config.handshakeTimeoutMs,
        });
        tls.on('secureConnection', (socket: TLSSocket) => this.accept(socket, 'rtmps'));
        tls.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
          this.ctx.instruments.connectionErrors.add(1, { code: 'EDGE_TLS_ERROR' });
          logger.warn({ code: 'EDGE_TLS_ERROR', client: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.code ?? err.message }, 'connection closed: EDGE_TLS_ERROR');
        });
        this.servers.push({ name: 'rtmps', server: tls, port: await listen(tls, config.rtmpsPort, config.host) });
      }
    }

    this.http = createStatusServer({
      nodeId: config.nodeId,
      ready: () => this.started && !this.stopping,
      connections: () => this.connections.size,
      streams: this.streams,
      listeners: () => this.listeners(),
    });
    const httpPort = await listen(this.http, config.httpPort, config.host);
    this.servers.push({ name: 'http', server: this.http as unknown as Server, port: httpPort });
    this.deps.cluster.start();
    // One sweep for every connection's idle timeout: a connection goes between idleTimeoutMs and a quarter more.
    const sweepMs = Math.max(25, Math.min(1000, Math.floor(config.idleTimeoutMs / 4)));
    this.idleSweep = setInterval(() => {
      const now = Date.now();
      for (const connection of this.connections) connection.checkIdle(now);
    }, sweepMs);
    this.idleSweep.unref();
    this.started = true;
    logger.info({ listeners: this.listeners() }, 'edge ready');
  }

  listeners(): Record<string, number> {
    return Object.fromEntries(this.servers.map((s) => [s.name, s.port]));
  }

  private accept(socket: Socket, transport: Transport): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection = new EdgeConnection(socket, transport, this.ctx);
    this.connections.add(connection);
    void connection.done.then(() => this.connections.delete(connection));
  }

  /** Stops accepting, tells publishers their stream ends, waits for sockets to close (at most `graceMs`). */
  async stop(graceMs = 3000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.idleSweep);
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve())));
    for (const connection of this.connections) connection.shutdown();
    const all = Promise.all([...this.connections].map((c) => c.done));
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.http?.closeAllConnections();
    // Sockets the listeners never handed over (a TLS handshake in progress) must not hold the stop forever.
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.deps.cluster.stop();
    this.deps.authorizer.close?.();
    this.deps.logger.info('edge stopped');
  }
}
