import { RelayError } from './errors';

/** Subject prefixes (design.md, data flow): media flow and GOP requests, one token each for the stream id. */
export const MEDIA_SUBJECT_PREFIX = 'media.';
export const GOP_SUBJECT_PREFIX = 'gop.';

export interface RelaySubjects {
  /** `media.<stream>`: every media message of the stream, in envelopes. */
  readonly media: string;
  /** `gop.<stream>`: GOP requests; the reply subject gets the snapshot and a gop-end envelope. */
  readonly gop: string;
}

/**
 * Public stream names, as edges accept them and origins serve them: one NATS subject token (no dots), a Redis
 * key part and a URL path segment (no slashes), 1-128 characters.
 */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

// A NATS subject token: no separators, wildcards or whitespace (the protocol splits on whitespace).
const BAD_TOKEN = /[\s.*>]/;

/** Throws RELAY_BAD_STREAM unless `stream` can be used as one subject token. */
export function assertStreamToken(stream: string): void {
  if (typeof stream !== 'string' || stream.length === 0 || BAD_TOKEN.test(stream)) {
    throw new RelayError('RELAY_BAD_STREAM', `stream id ${JSON.stringify(stream)} is not a single NATS subject token`);
  }
}

/** The subjects of one stream, built once (publishers and subscribers keep them: no per-message string work). */
export function relaySubjects(stream: string): RelaySubjects {
  assertStreamToken(stream);
  return { media: MEDIA_SUBJECT_PREFIX + stream, gop: GOP_SUBJECT_PREFIX + stream };
}

export function mediaSubject(stream: string): string {
  return relaySubjects(stream).media;
}

export function gopSubject(stream: string): string {
  return relaySubjects(stream).gop;
}
