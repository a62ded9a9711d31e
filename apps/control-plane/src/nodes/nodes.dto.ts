import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const NODE_ROLES = ['edge', 'origin', 'control-plane'] as const;
export type NodeRoleName = (typeof NODE_ROLES)[number];

export class NodeLoadDto {
  @ApiProperty({ example: 12 })
  connections!: number;

  @ApiProperty({ example: 3 })
  streams!: number;

  @ApiPropertyOptional({ example: 40 })
  viewers?: number;

  @ApiPropertyOptional({ example: 0.35, description: 'CPU use, as the node reports it' })
  cpu?: number;

  @ApiPropertyOptional({ example: 104857600 })
  rssBytes?: number;

  @ApiPropertyOptional()
  bytesInPerSec?: number;

  @ApiPropertyOptional()
  bytesOutPerSec?: number;
}

export class NodeDto {
  @ApiProperty({ example: 'edge-1' })
  id!: string;

  @ApiProperty({ enum: NODE_ROLES })
  role!: NodeRoleName;

  @ApiProperty({ example: '10.0.0.12' })
  host!: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { rtmp: 1935, rtmps: 1936 } })
  ports!: Record<string, number>;

  @ApiProperty({ type: NodeLoadDto })
  load!: NodeLoadDto;

  @ApiProperty({ example: 7, description: 'Increases on every start of this node id' })
  epoch!: number;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Last heartbeat' })
  updatedAt!: string;

  @ApiProperty({ example: 3600 })
  uptimeSeconds!: number;
}
