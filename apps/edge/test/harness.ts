/** The edge as a real process, with the status types of this app. */
import { eventually, startEdge as startEdgeProcess, type ClusterServices, type RunningEdge as GenericEdge } from '@ingest/testing';
import type { StreamSnapshot } from '../src/stream-stats';

export { eventually };

export interface EdgeStatus {
  connections: number;
  streams: StreamSnapshot[];
  recent: StreamSnapshot[];
}

export interface RunningEdge extends Omit<GenericEdge<EdgeStatus>, 'stream'> {
  /** The newest live or ended stream with that name. */
  stream(name: string): Promise<StreamSnapshot | undefined>;
}

export async function startEdge(env: Record<string, string> = {}, services?: ClusterServices): Promise<RunningEdge> {
  const edge = (await startEdgeProcess(env, services)) as GenericEdge<EdgeStatus>;
  return {
    ...edge,
    async stream(name) {
      const s = await edge.status();
      return [...s.streams, ...s.recent].find((x) => x.name === name);
    },
  };
}
