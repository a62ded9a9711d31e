/** Injection tokens for the infrastructure the feature modules share (provided by CoreModule). */
export const CONFIG = Symbol('CONTROL_PLANE_CONFIG');
/** The ioredis client (`Redis` from ioredis). */
export const REDIS = Symbol('REDIS');
/** The NATS connection. */
export const NATS = Symbol('NATS');
/** The pino logger (`Logger` from @ingest/telemetry). */
export const LOGGER = Symbol('LOGGER');
