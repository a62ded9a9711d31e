import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { watchStatus, type NatsConnection } from '@ingest/relay';
import type { Redis } from 'ioredis';
import { NATS, REDIS } from '../common/tokens';

export type CheckState = 'up' | 'down';

export interface Readiness {
  ready: boolean;
  checks: { redis: CheckState; nats: CheckState };
}

/** How long /readyz waits for Redis to answer PING. */
export const REDIS_PING_TIMEOUT_MS = 1000;

/** Readiness: Redis answers PING, and the NATS connection is up (tracked from its status events). */
@Injectable()
export class HealthService implements OnModuleDestroy {
  private natsUp = true;
  private readonly stopWatching: () => void;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(NATS) private readonly nats: NatsConnection,
  ) {
    this.stopWatching = watchStatus(nats, (status) => {
      if (status.type === 'disconnect' || status.type === 'close') this.natsUp = false;
      else if (status.type === 'reconnect') this.natsUp = true;
    });
  }

  onModuleDestroy(): void {
    this.stopWatching();
  }

  async readiness(): Promise<Readiness> {
    const redis = await this.pingRedis();
    const nats: CheckState = this.natsUp && !this.nats.isClosed() ? 'up' : 'down';
    return { ready: redis === 'up' && nats === 'up', checks: { redis, nats } };
  }

  private async pingRedis(): Promise<CheckState> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), REDIS_PING_TIMEOUT_MS);
      });
      const reply = await Promise.race([this.redis.ping(), timeout]);
      return reply === 'PONG' ? 'up' : 'down';
    } catch {
      return 'down';
    } finally {
      clearTimeout(timer);
    }
  }
}
