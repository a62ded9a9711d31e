/**
 * The errors of the MPEG-TS muxer: bad input is reported as a TsMuxError with a stable `code`, never as a
 * half-written packet. Errors from @ingest/flv's record parsers are wrapped with `cause` set.
 */
export const TS_MUX_ERROR_CODES = {
  TS_BAD_CONFIG: 'the codec configuration (avcC / hvcC / AudioSpecificConfig) cannot be parsed or used',
  TS_BAD_FRAME: 'a frame is malformed: a NAL unit length runs past the end, or a field is out of range',
  TS_NO_TRACK: 'a frame was written for a track the muxer was not configured with',
} as const;

export type TsMuxErrorCode = keyof typeof TS_MUX_ERROR_CODES;

export class TsMuxError extends Error {
  override readonly name = 'TsMuxError';
  constructor(
    readonly code: TsMuxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
