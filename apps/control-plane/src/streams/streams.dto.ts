import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class StreamVideoDto {
  @ApiProperty({ example: 'avc1', description: 'FOURCC or legacy:<id>' })
  codec!: string;

  @ApiProperty({ example: 'H.264' })
  name!: string;

  @ApiPropertyOptional({ example: 'High' })
  profile?: string;

  @ApiPropertyOptional({ example: '4.1' })
  level?: string;

  @ApiPropertyOptional({ example: 1920 })
  width?: number;

  @ApiPropertyOptional({ example: 1080 })
  height?: number;

  @ApiPropertyOptional({ example: 30, description: 'From the bitstream timing information' })
  fps?: number;

  @ApiPropertyOptional({ example: 8 })
  bitDepth?: number;

  @ApiPropertyOptional({ example: '4:2:0' })
  chroma?: string;
}

export class StreamAudioDto {
  @ApiProperty({ example: 'mp4a' })
  codec!: string;

  @ApiProperty({ example: 'AAC' })
  name!: string;

  @ApiPropertyOptional({ example: 'LC' })
  profile?: string;

  @ApiPropertyOptional({ example: 48000 })
  sampleRate?: number;

  @ApiPropertyOptional({ example: 2 })
  channels?: number;
}

/** A live stream. Never carries key material: the registry record is read field by field. */
export class StreamDto {
  @ApiProperty({ example: 'my-show' })
  name!: string;

  @ApiProperty({ example: 'live', description: 'The RTMP application it was published to' })
  app!: string;

  @ApiProperty({ example: 'edge-1', description: 'The edge that ingests it' })
  edge!: string;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ example: 42 })
  uptimeSeconds!: number;

  @ApiProperty({ example: 3, description: 'Viewers over all origins' })
  viewers!: number;

  @ApiPropertyOptional({ type: StreamVideoDto })
  video?: StreamVideoDto;

  @ApiPropertyOptional({ type: StreamAudioDto })
  audio?: StreamAudioDto;

  @ApiPropertyOptional({ example: 29.97, description: 'Measured frame rate' })
  fps?: number;

  @ApiPropertyOptional({ example: 4500, description: 'Measured audio + video bitrate' })
  bitrateKbps?: number;

  @ApiPropertyOptional({ example: 'rtmp', description: 'Ingest protocol (rtmp, rtmps, rtmpt, ...)' })
  protocol?: string;

  @ApiPropertyOptional({ example: 'obs-output module (libobs version 30.0.0)' })
  encoder?: string;

  @ApiProperty({ format: 'date-time', description: 'Last update of the record by its edge' })
  updatedAt!: string;
}

export class KickResultDto {
  @ApiProperty({ example: 'my-show' })
  name!: string;

  @ApiProperty({ description: 'True when the edge holding the stream confirmed that it closed the publisher' })
  kicked!: boolean;

  @ApiPropertyOptional({ example: 'edge-1', description: 'The edge that confirmed the kick' })
  edge?: string;

  @ApiProperty({ description: "True when the stream's key is revoked (asked with revoke=true)" })
  keyRevoked!: boolean;
}
