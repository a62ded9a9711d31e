/**
 * @ingest/relay - the media path between edge and origin over core NATS: a binary envelope around each FLV tag
 * body, the edge's GOP cache, the edge-side publisher and the origin-side subscriber, and the shared connection.
 */
export { RELAY_ERROR_CODES, RelayError, type RelayErrorCode } from './errors';
export * from './envelope';
export * from './gop-cache';
export * from './subjects';
export * from './connection';
export * from './batcher';
export * from './nats-wire';
export * from './cadence';
export * from './arena';
export * from './publisher';
export * from './subscriber';
export type { Meter } from './observe';
