import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { AppModule, type AppDeps } from './app.module';
import { BODY_LIMIT_BYTES } from './config';
import { AdminTokenVerifier } from './common/admin-token.guard';
import { jsonBody, noStore, requestLog, requireAdminToken } from './common/http-middleware';
import { PinoLoggerService } from './common/pino-logger.service';
import { setupSwagger } from './swagger';

export type { AppDeps } from './app.module';

/**
 * The control plane's Nest application, initialised but not listening: JSON logs through `deps.logger`, the bearer
 * token check on /v1, the 16 KiB JSON body parser, validation, the admin-token guard, JSON errors, Swagger at /docs. The caller owns the Redis and
 * NATS connections (app.close() does not close them).
 */
export async function createApp(deps: AppDeps): Promise<INestApplication> {
  const logger = new PinoLoggerService(deps.logger);
  const app = await NestFactory.create(AppModule.forRoot(deps), new ExpressAdapter(), {
    bufferLogs: true,
    logger,
    bodyParser: false,
    abortOnError: false,
    forceCloseConnections: true,
  });
  app.useLogger(logger);
  (app.getHttpAdapter().getInstance() as { disable(setting: string): unknown }).disable('x-powered-by');
  app.use(requestLog(deps.logger));
  app.use('/v1', noStore);
  // Authenticate /v1 before reading any body: strangers get 401, never 400/413/415, and cost no parsing.
  app.use('/v1', requireAdminToken(new AdminTokenVerifier(deps.config.adminToken)));
  app.use(jsonBody(BODY_LIMIT_BYTES));
  setupSwagger(app);
  await app.init();
  return app;
}

/** Listens on `port` (0: a free one) and resolves with the bound port. */
export async function listenApp(app: INestApplication, port: number, host: string): Promise<number> {
  await app.listen(port, host);
  return (app.getHttpServer().address() as AddressInfo).port;
}
