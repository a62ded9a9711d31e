/** The control plane: NestJS REST API over the registry (Redis) and the control bus (NATS). */
export { createApp, listenApp, type AppDeps } from './app';
export { AppModule, createValidationPipe } from './app.module';
export { BODY_LIMIT_BYTES, loadConfig, type ControlPlaneConfig } from './config';
export { CONFIG, LOGGER, NATS, REDIS } from './common/tokens';
export { NoopStreamEventsPublisher, STREAM_EVENTS, type StreamEvent, type StreamEventsPublisher, type StreamKickedEvent } from './streams/stream-events';
export { createOpenApiDocument } from './swagger';
