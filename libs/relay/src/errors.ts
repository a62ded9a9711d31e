/**
 * One table of the named errors this library raises. Malformed envelopes become a RelayError with a stable `code`;
 * the subscriber counts and logs them and drops that one message. Nothing on the publishing side throws into the
 * caller's media path.
 */
export const RELAY_ERROR_CODES = {
  RELAY_BAD_ENVELOPE: 'envelope shorter than its header, or whose payload length does not match its size',
  RELAY_UNSUPPORTED_VERSION: 'envelope version this library does not implement',
  RELAY_BAD_KIND: 'envelope kind outside 1..5',
  RELAY_BAD_FRAGMENT: 'fragment index/count/flag that do not agree',
  RELAY_BAD_HEADER: 'header field outside its range when encoding (kind, flags, fragment index or count)',
  RELAY_PAYLOAD_TOO_LARGE: 'payload needs more than 255 fragments at the given max payload',
  RELAY_NATS_UNAVAILABLE: 'publish on a closed or draining NATS connection',
  RELAY_OVER_MAX_PAYLOAD: "publish larger than the NATS server's max_payload",
  RELAY_BAD_STREAM: 'stream id that is not a single NATS subject token',
} as const;

export type RelayErrorCode = keyof typeof RELAY_ERROR_CODES;

export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly code: RelayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
