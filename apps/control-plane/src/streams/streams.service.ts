import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { StreamKeyStore, StreamRegistry, ViewerRegistry, type StreamKeyRecord, type StreamRecord } from '@ingest/registry';
import type { Logger } from '@ingest/telemetry';
import { LOGGER, NATS } from '../common/tokens';
import { STREAM_EVENTS, type StreamEventsPublisher } from './stream-events';
import type { KickResultDto, StreamAudioDto, StreamDto, StreamVideoDto } from './streams.dto';

/** Subject prefix edges listen on (`control.stream.*`); the edge that holds the stream acts. */
export const CONTROL_STREAM_SUBJECT_PREFIX = 'control.stream.';
/** How long DELETE /v1/streams/:name waits for the holding edge to confirm a kick. */
export const KICK_REPLY_TIMEOUT_MS = 1000;
export const KICK_REASON = 'Stream was stopped by the operator.';

type Info = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function obj(value: unknown): Info | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Info) : undefined;
}

/** Only defined members (so JSON answers have no nulls standing for "unknown"). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function video(info: Info | undefined): StreamVideoDto | undefined {
  if (!info || str(info.codec) === undefined) return undefined;
  return compact({
    codec: str(info.codec) as string,
    name: str(info.name) ?? (str(info.codec) as string),
    profile: str(info.profile),
    level: str(info.level),
    width: num(info.width),
    height: num(info.height),
    fps: num(info.fps),
    bitDepth: num(info.bitDepth),
    chroma: str(info.chroma),
  });
}

function audio(info: Info | undefined): StreamAudioDto | undefined {
  if (!info || str(info.codec) === undefined) return undefined;
  return compact({
    codec: str(info.codec) as string,
    name: str(info.name) ?? (str(info.codec) as string),
    profile: str(info.profile),
    sampleRate: num(info.sampleRate),
    channels: num(info.channels),
  });
}

function iso(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(0).toISOString();
}

/**
 * A registry record as the API shows it. The record's `info` is free-form JSON written by the edge: only the known
 * fields are copied, one by one, so nothing else (and no key material) can leak through.
 */
export function streamView(record: StreamRecord, viewers: number, nowMs: number = Date.now()): StreamDto {
  const info = obj(record.info) ?? {};
  return compact({
    name: record.name,
    app: str(record.app) ?? 'live',
    edge: str(record.edgeId) ?? 'unknown',
    startedAt: iso(record.startedAt),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - (num(record.startedAt) ?? nowMs)) / 1000)),
    viewers,
    video: video(obj(info.video)),
    audio: audio(obj(info.audio)),
    fps: num(info.fps),
    bitrateKbps: num(info.bitrateKbps),
    protocol: str(info.protocol),
    encoder: str(info.encoder),
    updatedAt: iso(record.updatedAt),
  });
}

@Injectable()
export class StreamsService {
  constructor(
    private readonly streams: StreamRegistry,
    private readonly viewers: ViewerRegistry,
    private readonly keys: StreamKeyStore,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(STREAM_EVENTS) private readonly events: StreamEventsPublisher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(): Promise<StreamDto[]> {
    const records = await this.streams.list();
    if (records.length === 0) return [];
    const counts = await this.viewers.getMany(records.map((r) => r.name));
    const now = Date.now();
    return records.map((r) => streamView(r, counts.get(r.name) ?? 0, now));
  }

  async get(name: string): Promise<StreamDto> {
    const record = await this.require(name);
    return streamView(record, await this.viewers.get(name));
  }

  /**
   * Kicks a live stream: with `revoke`, first revokes its live key (so an encoder that reconnects at once is refused),
   * then asks on `control.stream.<name>` for the holding edge to close the publisher, waiting up to 1 s for its
   * confirmation. Without a confirmation (no edge answered: none holds it any more, or the edge is not reachable)
   * `kicked` is false; the message has been sent all the same.
   */
  async kick(name: string, revoke: boolean): Promise<KickResultDto> {
    const record = await this.require(name);
    if (this.nats.isClosed()) throw new ServiceUnavailableException('The control bus (NATS) is unavailable; try again shortly');

    let key: StreamKeyRecord | undefined;
    let keyRevoked = false;
    if (revoke) {
      key = await this.keys.getByName(name);
      if (key !== undefined) keyRevoked = (await this.keys.revoke(key.id))?.revokedAt != null;
    } else {
      key = await this.keys.getByName(name).catch(() => undefined); // for the event only
    }

    const { kicked, edge } = await this.requestKick(name);
    this.logger.info({ stream: name, kicked, edge, keyRevoked, keyId: key?.id }, 'stream kick requested');
    try {
      this.events.publish(compact({ type: 'stream.kicked' as const, stream: name, keyId: key?.id, edgeId: edge ?? str(record.edgeId), at: new Date().toISOString() }));
    } catch (err) {
      this.logger.warn({ err, stream: name }, 'stream event publish failed');
    }
    return compact({ name, kicked, edge, keyRevoked });
  }

  private async requestKick(name: string): Promise<{ kicked: boolean; edge?: string }> {
    const payload = JSON.stringify({ action: 'kick', reason: KICK_REASON });
    try {
      const reply = await this.nats.request(CONTROL_STREAM_SUBJECT_PREFIX + name, payload, { timeout: KICK_REPLY_TIMEOUT_MS });
      let body: unknown;
      try {
        body = reply.json();
      } catch {
        return { kicked: false };
      }
      const fields = obj(body) ?? {};
      return compact({ kicked: fields.kicked === true, edge: str(fields.edge) });
    } catch (err) {
      // No subscriber at all, or subscribers but no edge holding the stream: the kick went out, unconfirmed.
      if (err instanceof errors.RequestError && err.isNoResponders()) return { kicked: false };
      if (err instanceof errors.TimeoutError) return { kicked: false };
      if (err instanceof errors.ClosedConnectionError || err instanceof errors.DrainingConnectionError) {
        throw new ServiceUnavailableException('The control bus (NATS) is unavailable; try again shortly');
      }
      throw err;
    }
  }

  private async require(name: string): Promise<StreamRecord> {
    const record = await this.streams.get(name);
    if (record === undefined) throw new NotFoundException(`Stream ${name} is not live`);
    return record;
  }
}
