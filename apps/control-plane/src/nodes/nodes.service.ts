import { Injectable } from '@nestjs/common';
import { NodeRegistry, type NodeRecord, type NodeRole } from '@ingest/registry';
import type { NodeDto } from './nodes.dto';

function finite(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A heartbeat record as the API shows it (times as ISO 8601). */
export function nodeView(node: NodeRecord, nowMs: number = Date.now()): NodeDto {
  const startedAt = finite(node.startedAt, nowMs);
  const load = typeof node.load === 'object' && node.load !== null ? node.load : { connections: 0, streams: 0 };
  return {
    id: node.id,
    role: node.role,
    host: typeof node.host === 'string' ? node.host : '',
    ports: typeof node.ports === 'object' && node.ports !== null ? node.ports : {},
    load: { ...load, connections: finite(load.connections, 0), streams: finite(load.streams, 0) },
    epoch: finite(node.epoch, 0),
    startedAt: new Date(startedAt).toISOString(),
    updatedAt: new Date(finite(node.updatedAt, startedAt)).toISOString(),
    uptimeSeconds: Math.max(0, Math.floor((nowMs - startedAt) / 1000)),
  };
}

@Injectable()
export class NodesService {
  constructor(private readonly nodes: NodeRegistry) {}

  async list(role?: NodeRole): Promise<NodeDto[]> {
    const now = Date.now();
    return (await this.nodes.list(role)).map((n) => nodeView(n, now));
  }
}
