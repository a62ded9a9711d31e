import { Module, ValidationPipe, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import type { Logger } from '@ingest/telemetry';
import { AdminTokenGuard } from './common/admin-token.guard';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { LOGGER } from './common/tokens';
import { CoreModule, type CoreDeps } from './core.module';
import { HealthModule } from './health/health.module';
import { NodesModule } from './nodes/nodes.module';
import type { StreamEventsPublisher } from './streams/stream-events';
import { StreamKeysModule } from './stream-keys/stream-keys.module';
import { StreamsModule } from './streams/streams.module';

export interface AppDeps extends CoreDeps {
  /** Where stream events (kicks) go; default: a no-op. */
  streamEvents?: StreamEventsPublisher;
}

/**
 * Input validation for every body, query and parameter DTO: unknown fields are refused (not silently dropped), no
 * type coercion, one message per bad field, and messages never quote the offending values.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
  });
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(deps), HealthModule, StreamKeysModule, StreamsModule.register(deps.streamEvents), NodesModule],
      providers: [
        { provide: APP_GUARD, useClass: AdminTokenGuard },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useFactory: (logger: Logger) => new HttpExceptionFilter(logger), inject: [LOGGER] },
      ],
    };
  }
}
