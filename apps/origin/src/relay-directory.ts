/**
 * Streams on this origin: one hub and ONE NATS subscription per stream, shared by every local viewer.
 * Opened on the first viewer (after a registry lookup), kept while watched, closed `lingerMs` after the last
 * viewer left; a hub whose stream went quiet and left the registry is ended (viewers are told).
 */
import type { StreamRegistry } from '@ingest/registry';
import { RelaySubscriber, isKeyframe, isSequenceHeader, type NatsConnection, type RelayedMessage } from '@ingest/relay';
import type { Logger } from '@ingest/telemetry';
import { fanoutLimits, type OriginConfig } from './config';
import type { StreamDirectory } from './directory';
import { StreamHub, type HubEvents } from './hub';
import { OutMessage } from './media';

interface OpenStream {
  hub: StreamHub;
  subscriber: RelaySubscriber;
}

export interface RelayDirectoryDeps extends HubEvents {
  nats: NatsConnection;
  streams: StreamRegistry;
  logger: Logger;
  onGap?(): void;
}

export function toOutMessage(message: RelayedMessage): OutMessage {
  const config = isSequenceHeader(message.header); // metadata and codec configurations (the edge flags them)
  const keyframe = message.type === 9 && !config && isKeyframe(message.header);
  return new OutMessage(message.type, message.header.timestamp, message.payload, keyframe, config);
}

export class RelayDirectory implements StreamDirectory {
  private readonly open_ = new Map<string, OpenStream>();
  private readonly opening = new Map<string, Promise<StreamHub | undefined>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: OriginConfig,
    private readonly deps: RelayDirectoryDeps,
  ) {}

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), 1000);
  }

  hubList(): StreamHub[] {
    return [...this.open_.values()].map((s) => s.hub);
  }

  async open(name: string): Promise<StreamHub | undefined> {
    const existing = this.open_.get(name);
    if (existing && !existing.hub.ended) {
      const quietMs = Date.now() - existing.hub.lastMessageAt;
      if (existing.hub.lastMessageAt === 0 || quietMs < this.config.staleMs) return existing.hub;
      // Quiet for a while: serve its cache only if the stream is still registered (its edge may have died).
      if ((await this.deps.streams.get(name)) !== undefined) return existing.hub;
      this.deps.logger.info({ stream: name, quietMs }, 'stream gone from the registry: ending it');
      existing.hub.end();
    }
    const pending = this.opening.get(name);
    if (pending) return pending;
    const promise = this.openNew(name).finally(() => this.opening.delete(name));
    this.opening.set(name, promise);
    return promise;
  }

  private async openNew(name: string): Promise<StreamHub | undefined> {
    const record = await this.deps.streams.get(name);
    if (!record) return undefined;
    const ended = this.open_.get(name);
    if (ended) {
      // The stream ended (its viewers were closed) and is live again: start over, with a fresh GOP request.
      this.open_.delete(name);
      ended.subscriber.close();
    }
    const hub = new StreamHub(
      name,
      fanoutLimits(this.config),
      this.deps,
    );
    const log = this.deps.logger.child({ stream: name });
    const subscriber = new RelaySubscriber(this.deps.nats, { stream: name, logger: log });
    subscriber.onMessage = (message) => {
      hub.publish(toOutMessage(message));
    };
    subscriber.onGap = (expected, got) => {
      this.deps.onGap?.();
      log.warn({ code: 'RELAY_GAP', expected, got }, 'relay gap: viewers resynchronise on the next keyframe');
      for (const viewer of hub.viewers) viewer.waitingForKeyframe = hub.cache.hasVideo;
    };
    subscriber.onEnd = () => {
      log.info('stream ended');
      hub.end();
    };
    subscriber.onRestart = (epoch) => {
      log.info({ epoch }, 'stream restarted by a new publisher');
      hub.restart();
      void this.deps.streams.get(name).then((r) => r && (hub.startedAt = r.startedAt)).catch(() => undefined);
    };
    hub.startedAt = record.startedAt;
    this.open_.set(name, { hub, subscriber });
    hub.idleSince = Date.now();
    await subscriber.start();
    log.info({ edge: record.edgeId }, 'subscribed');
    return hub;
  }

  release(_hub: StreamHub): void {
    // Idle hubs are closed by the sweeper after lingerMs.
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const [name, { hub, subscriber }] of this.open_) {
      if (hub.viewers.size === 0 && hub.idleSince > 0 && now - hub.idleSince > this.config.lingerMs) {
        this.open_.delete(name);
        subscriber.close();
        this.deps.logger.info({ stream: name }, 'unsubscribed (no viewers)');
        continue;
      }
      const quiet = hub.lastMessageAt === 0 ? now - (hub.idleSince || now) : now - hub.lastMessageAt;
      if (!hub.ended && hub.viewers.size > 0 && quiet > this.config.staleMs) {
        // No media for a while: if the registry has lost the stream too (its edge died), end it for viewers.
        const record = await this.deps.streams.get(name).catch(() => 'unknown' as const);
        if (record === undefined) {
          this.deps.logger.info({ stream: name, quietMs: quiet }, 'stream gone from the registry: ending it');
          hub.end();
        }
      }
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    for (const { subscriber } of this.open_.values()) subscriber.close();
    this.open_.clear();
  }
}
