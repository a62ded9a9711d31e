import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NodeRegistry, StreamKeyStore, StreamRegistry, ViewerRegistry } from '@ingest/registry';
import type { NatsConnection } from '@ingest/relay';
import type { Logger } from '@ingest/telemetry';
import type { Redis } from 'ioredis';
import type { ControlPlaneConfig } from './config';
import { CONFIG, LOGGER, NATS, REDIS } from './common/tokens';

/** What the app is built from: configuration and live connections, owned (and closed) by the caller. */
export interface CoreDeps {
  config: ControlPlaneConfig;
  redis: Redis;
  nats: NatsConnection;
  logger: Logger;
}

/**
 * The shared infrastructure, global: configuration, the Redis and NATS connections, the logger and the registries
 * (providers keyed by their classes, so tests can overrideProvider(StreamKeyStore) and so on).
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(deps: CoreDeps): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: deps.config },
      { provide: REDIS, useValue: deps.redis },
      { provide: NATS, useValue: deps.nats },
      { provide: LOGGER, useValue: deps.logger },
      { provide: StreamRegistry, useFactory: (redis: Redis) => new StreamRegistry(redis), inject: [REDIS] },
      { provide: NodeRegistry, useFactory: (redis: Redis) => new NodeRegistry(redis), inject: [REDIS] },
      { provide: ViewerRegistry, useFactory: (redis: Redis) => new ViewerRegistry(redis), inject: [REDIS] },
      { provide: StreamKeyStore, useFactory: (redis: Redis) => new StreamKeyStore(redis), inject: [REDIS] },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }
}
