/**
 * The named errors this library raises. Every parser in @ingest/flv reports malformed input as an FlvError
 * with a stable `code` and nothing else: length fields are checked against the bytes that remain before they
 * are used, and errors from the AMF decoder (script data, video metadata) are wrapped with `cause` set.
 */
export const FLV_ERROR_CODES = {
  FLV_TRUNCATED: 'a length or field runs past the end of the available bytes',
  FLV_BAD_HEADER: 'FLV file header with a wrong signature or data offset',
  FLV_TAG_TOO_LARGE: 'tag body larger than the configured cap (or than the 24-bit DataSize field allows)',
  FLV_INVALID: 'a field holds a value the specification does not allow here',
  FLV_UNSUPPORTED: 'a reserved value (packet type, multitrack type, ...) this parser does not implement',
} as const;

export type FlvErrorCode = keyof typeof FLV_ERROR_CODES;

export class FlvError extends Error {
  override readonly name = 'FlvError';
  constructor(
    readonly code: FlvErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** The FLV_TRUNCATED error the readers throw when `needed` bytes are asked for and only `available` remain. */
export function truncated(what: string, needed: number, available: number): FlvError {
  return new FlvError('FLV_TRUNCATED', `${what}: need ${needed} byte(s), ${available} left`);
}
