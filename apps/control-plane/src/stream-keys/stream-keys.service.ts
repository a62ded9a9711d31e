import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { RegistryError, StreamKeyStore, type CreatedStreamKey, type StreamKeyPolicy, type StreamKeyRecord } from '@ingest/registry';
import type { ControlPlaneConfig } from '../config';
import { CONFIG } from '../common/tokens';
import type { CreatedStreamKeyDto, CreateStreamKeyDto, KeyStatus, StreamKeyDto, StreamKeyPolicyInputDto } from './stream-keys.dto';

/** Shown in the publish URLs of answers that do not carry the secret. */
export const KEY_PLACEHOLDER = '<key>';

/** The DTO's fields that were given, as a plain object (no class instance, no undefined members). */
function policyInput(dto: StreamKeyPolicyInputDto | undefined): Partial<StreamKeyPolicy> | undefined {
  if (dto === undefined) return undefined;
  const out: Partial<StreamKeyPolicy> = {};
  if (dto.allowedCidrs !== undefined) out.allowedCidrs = [...dto.allowedCidrs];
  if (dto.maxBitrateKbps !== undefined) out.maxBitrateKbps = dto.maxBitrateKbps;
  if (dto.allowedCodecs !== undefined) out.allowedCodecs = [...dto.allowedCodecs];
  if (dto.duplicatePolicy !== undefined) out.duplicatePolicy = dto.duplicatePolicy;
  if (dto.expiresAt !== undefined) out.expiresAt = dto.expiresAt;
  return out;
}

function registryCode(err: unknown): string | undefined {
  return err instanceof RegistryError ? err.code : undefined;
}

/** Stream keys over StreamKeyStore, with the public URLs of the cluster. Secrets leave only through create and rotate. */
@Injectable()
export class StreamKeysService {
  constructor(
    private readonly store: StreamKeyStore,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  async create(dto: CreateStreamKeyDto): Promise<CreatedStreamKeyDto> {
    let created: CreatedStreamKey;
    try {
      created = await this.store.create({ name: dto.name, policy: policyInput(dto.policy) });
    } catch (err) {
      const code = registryCode(err);
      if (code === 'REGISTRY_CONFLICT') throw new ConflictException(`A live stream key named ${dto.name} already exists`);
      // The store's validation messages name the field and the rule, never a secret (there is none yet).
      if (code === 'REGISTRY_INVALID') throw new BadRequestException((err as Error).message);
      throw err;
    }
    return this.withSecret(created);
  }

  list(): Promise<StreamKeyDto[]> {
    return this.store.list().then((records) => records.map((r) => this.view(r)));
  }

  async get(id: string): Promise<StreamKeyDto> {
    return this.view(await this.require(id));
  }

  /** A new secret; the old one stops working at once. 409 for a revoked key (it cannot come back). */
  async rotate(id: string): Promise<CreatedStreamKeyDto> {
    const current = await this.require(id);
    if (current.revokedAt !== null) throw new ConflictException(`Stream key ${id} is revoked and cannot be rotated; create a new key`);
    const rotated = await this.store.rotate(id);
    if (rotated === undefined) {
      // Revoked or deleted between the two calls.
      const now = await this.store.get(id);
      if (now?.revokedAt) throw new ConflictException(`Stream key ${id} is revoked and cannot be rotated; create a new key`);
      throw this.notFound(id);
    }
    return this.withSecret(rotated);
  }

  /** Revokes the key (idempotent: a revoked key keeps its first revokedAt). */
  async revoke(id: string): Promise<StreamKeyDto> {
    const revoked = await this.store.revoke(id);
    if (revoked === undefined) throw this.notFound(id);
    return this.view(revoked);
  }

  private async require(id: string): Promise<StreamKeyRecord> {
    const record = await this.store.get(id);
    if (record === undefined) throw this.notFound(id);
    return record;
  }

  private notFound(id: string): NotFoundException {
    return new NotFoundException(`Stream key ${id} not found`);
  }

  /** The record without its secret; publish URLs carry the <key> placeholder. */
  view(record: StreamKeyRecord, now: Date = new Date()): StreamKeyDto {
    return {
      id: record.id,
      name: record.name,
      keyHint: record.keyHint,
      createdAt: record.createdAt,
      rotatedAt: record.rotatedAt,
      revokedAt: record.revokedAt,
      status: keyStatus(record, now),
      policy: { ...record.policy, allowedCidrs: [...record.policy.allowedCidrs], allowedCodecs: [...record.policy.allowedCodecs] },
      ingestUrls: this.ingestUrls(KEY_PLACEHOLDER),
      playbackUrls: this.playbackUrls(record.name),
    };
  }

  private withSecret(created: CreatedStreamKey): CreatedStreamKeyDto {
    return { ...this.view(created), key: created.key, ingestUrls: this.ingestUrls(encodeURIComponent(created.key)) };
  }

  private ingestUrls(key: string): { rtmp: string; rtmps: string } {
    return { rtmp: `${this.config.publicIngestUrl}/${key}`, rtmps: `${this.config.publicIngestRtmpsUrl}/${key}` };
  }

  /** Playback uses the public stream name, never the key. */
  private playbackUrls(name: string): { rtmp: string; httpFlv: string; hls: string } {
    const http = this.config.publicPlaybackHttpUrl;
    return { rtmp: `${this.config.publicPlaybackRtmpUrl}/${name}`, httpFlv: `${http}/${name}.flv`, hls: `${http}/${name}/index.m3u8` };
  }
}

export function keyStatus(record: Pick<StreamKeyRecord, 'revokedAt' | 'policy'>, now: Date): KeyStatus {
  if (record.revokedAt !== null) return 'revoked';
  const expires = record.policy.expiresAt === null ? Number.NaN : Date.parse(record.policy.expiresAt);
  return Number.isFinite(expires) && now.getTime() >= expires ? 'expired' : 'active';
}
