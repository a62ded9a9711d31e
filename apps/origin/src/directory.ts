import type { StreamHub } from './hub';

/** Where the origin's front ends find streams. */
export interface StreamDirectory {
  /** The stream's hub, opened (subscribed) if needed; undefined when the stream is not live anywhere. */
  open(name: string): Promise<StreamHub | undefined>;
  /** Called when a viewer leaves, so idle hubs can be closed later. */
  release(hub: StreamHub): void;
}

/** Stream names as the edge accepts them (no dots: NATS subject tokens; no slashes: URL segments). */
export { STREAM_NAME_PATTERN as STREAM_NAME } from '@ingest/relay';
