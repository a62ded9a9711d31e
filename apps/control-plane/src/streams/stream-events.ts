/** An operator kicked a live stream (DELETE /v1/streams/:name). */
export interface StreamKickedEvent {
  type: 'stream.kicked';
  /** The public stream name. */
  stream: string;
  /** The stream's live key, when there is one. */
  keyId?: string;
  /** The edge that confirmed the kick, else the edge the registry names as the stream's holder. */
  edgeId?: string;
  /** ISO 8601. */
  at: string;
}

export type StreamEvent = StreamKickedEvent;

/**
 * Where the control plane announces what it did to streams (webhooks, audit). `publish` must not throw nor block: an
 * implementation queues and delivers in the background. The default is a no-op; provide another with
 * createApp({ streamEvents }) or overrideProvider(STREAM_EVENTS).
 */
export interface StreamEventsPublisher {
  publish(event: StreamEvent): void;
}

/** Injection token of the StreamEventsPublisher. */
export const STREAM_EVENTS = 'STREAM_EVENTS';

export class NoopStreamEventsPublisher implements StreamEventsPublisher {
  publish(_event: StreamEvent): void {}
}
