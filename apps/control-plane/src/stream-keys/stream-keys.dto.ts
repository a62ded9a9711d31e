import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { STREAM_KEY_CODECS } from '@ingest/registry';
import { STREAM_NAME_PATTERN } from '@ingest/relay';
import { IsCidr } from './cidr.validator';

/** Codec names a policy may list: h264, hevc, av1, vp9, aac, mp3, opus. */
export const STREAM_CODECS: string[] = [...STREAM_KEY_CODECS];
export const DUPLICATE_POLICIES = ['reject', 'takeover'] as const;
export const MAX_ALLOWED_CIDRS = 64;
export const MAX_BITRATE_KBPS = 1_000_000;

/** Present (not undefined): null is then rejected by the other rules, unlike @IsOptional(). */
const Given = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * Policy fields of a new key; every field is optional (the store's defaults apply).
 * Decorators run bottom-up and validation stops at a property's first failure: the type check sits nearest the field.
 */
export class StreamKeyPolicyInputDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_ALLOWED_CIDRS,
    example: ['203.0.113.0/24'],
    description: 'Publishers must connect from one of these networks; empty or absent: from anywhere.',
  })
  @Given()
  @IsCidr({ each: true })
  @IsString({ each: true })
  @ArrayMaxSize(MAX_ALLOWED_CIDRS)
  @IsArray()
  allowedCidrs?: string[];

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: MAX_BITRATE_KBPS, example: 8000, description: 'null: no limit.' })
  @IsOptional()
  @Max(MAX_BITRATE_KBPS)
  @Min(1)
  @IsInt()
  maxBitrateKbps?: number | null;

  @ApiPropertyOptional({ enum: STREAM_CODECS, isArray: true, example: ['h264', 'aac'], description: 'Empty or absent: any codec.' })
  @Given()
  @ArrayUnique()
  @IsIn(STREAM_CODECS, { each: true })
  @IsArray()
  allowedCodecs?: string[];

  @ApiPropertyOptional({ enum: DUPLICATE_POLICIES, description: 'A second publisher of a live stream: refused (reject) or replaces the first (takeover).' })
  @Given()
  @IsIn(DUPLICATE_POLICIES)
  duplicatePolicy?: 'reject' | 'takeover';

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, example: '2030-01-01T00:00:00Z', description: 'null: never expires.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | null;
}

export class CreateStreamKeyDto {
  @ApiProperty({
    pattern: STREAM_NAME_PATTERN.source,
    maxLength: 128,
    example: 'my-show',
    description: 'The public stream name, used in playback URLs (never the secret key).',
  })
  @Matches(STREAM_NAME_PATTERN, { message: 'name must be 1-128 letters, digits, _ or -, starting with a letter or digit' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({ type: StreamKeyPolicyInputDto })
  @Given()
  @ValidateNested()
  @IsObject()
  @Type(() => StreamKeyPolicyInputDto)
  policy?: StreamKeyPolicyInputDto;
}

export class StreamKeyPolicyDto {
  @ApiProperty({ type: [String], example: [] })
  allowedCidrs!: string[];

  @ApiProperty({ type: Number, nullable: true, example: null })
  maxBitrateKbps!: number | null;

  @ApiProperty({ enum: STREAM_CODECS, isArray: true, example: [] })
  allowedCodecs!: string[];

  @ApiProperty({ enum: DUPLICATE_POLICIES })
  duplicatePolicy!: 'reject' | 'takeover';

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expiresAt!: string | null;
}

export class IngestUrlsDto {
  @ApiProperty({ example: 'rtmp://127.0.0.1:1935/live/<key>', description: 'Publish URL; <key> is the secret, shown only at creation and rotation.' })
  rtmp!: string;

  @ApiProperty({ example: 'rtmps://127.0.0.1:1936/live/<key>' })
  rtmps!: string;
}

export class PlaybackUrlsDto {
  @ApiProperty({ example: 'rtmp://127.0.0.1:1945/live/my-show' })
  rtmp!: string;

  @ApiProperty({ example: 'http://127.0.0.1:8080/live/my-show.flv' })
  httpFlv!: string;

  @ApiProperty({ example: 'http://127.0.0.1:8080/live/my-show/index.m3u8' })
  hls!: string;
}

export const KEY_STATUSES = ['active', 'revoked', 'expired'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/** A stream key without its secret. */
export class StreamKeyDto {
  @ApiProperty({ example: 'key_V1StGXR8_Z5jdHi6B-myT' })
  id!: string;

  @ApiProperty({ example: 'my-show' })
  name!: string;

  @ApiProperty({ description: 'A few characters of the secret, to recognise it (never enough to use it).' })
  keyHint!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  rotatedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;

  @ApiProperty({ enum: KEY_STATUSES, description: 'revoked or expired keys cannot publish.' })
  status!: KeyStatus;

  @ApiProperty({ type: StreamKeyPolicyDto })
  policy!: StreamKeyPolicyDto;

  @ApiProperty({ type: IngestUrlsDto, description: 'Publish URLs with a literal <key> placeholder.' })
  ingestUrls!: IngestUrlsDto;

  @ApiProperty({ type: PlaybackUrlsDto })
  playbackUrls!: PlaybackUrlsDto;
}

/** A new or rotated key: the only answers that carry the secret. */
export class CreatedStreamKeyDto extends StreamKeyDto {
  @ApiProperty({ description: 'The secret stream key. Shown once: store it now.' })
  key!: string;
}
