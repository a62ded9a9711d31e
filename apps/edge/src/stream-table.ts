/**
 * Streams published on this edge, by public name, plus the recently ended ones (for status and tests).
 * One live publisher per name on this edge; the cluster-wide claim is the registry's job (Redis).
 */
import type { StreamStats } from './stream-stats';

export interface LiveStream {
  stats: StreamStats;
  /** Closes the publisher (kick, shutdown). */
  close(code: string, description: string): void;
}

export class StreamTable {
  private readonly live = new Map<string, LiveStream>();
  private readonly recent: StreamStats[] = [];

  constructor(private readonly keepRecent = 50) {}

  /** False when the name is already live here. */
  claim(name: string, stream: LiveStream): boolean {
    if (this.live.has(name)) return false;
    this.live.set(name, stream);
    return true;
  }

  release(name: string, stream: LiveStream): void {
    if (this.live.get(name) !== stream) return;
    this.live.delete(name);
    stream.stats.endedAt = Date.now();
    this.recent.unshift(stream.stats);
    if (this.recent.length > this.keepRecent) this.recent.length = this.keepRecent;
  }

  get(name: string): LiveStream | undefined {
    return this.live.get(name);
  }

  get size(): number {
    return this.live.size;
  }

  liveStreams(): LiveStream[] {
    return [...this.live.values()];
  }

  recentStreams(): StreamStats[] {
    return this.recent;
  }
}
