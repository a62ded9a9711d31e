/**
 * One table of the named errors this library raises. Every protocol violation becomes an RtmpError with a
 * stable `code`; the app that owns the socket logs it and closes that one connection.
 */
export const RTMP_ERROR_CODES = {
  RTMP_BAD_VERSION: 'C0/S0 version byte is not 3 (plain RTMP)',
  RTMP_RTMPE_UNSUPPORTED: 'C0 = 6 asks for RTMPE encryption, which this listener does not offer',
  RTMP_HANDSHAKE_FAILED: 'handshake bytes are inconsistent',
  RTMP_BAD_CHUNK_SIZE: 'Set Chunk Size outside the accepted range',
  RTMP_BAD_CHUNK_HEADER: 'chunk header that cannot follow the chunk stream state',
  RTMP_MESSAGE_TOO_LARGE: 'message length above the configured cap',
  RTMP_TOO_MANY_CHUNK_STREAMS: 'more chunk stream ids in use than the configured cap',
  RTMP_BUFFER_LIMIT: 'partially received messages hold more memory than the configured cap',
  RTMP_BAD_MESSAGE: 'message body does not match its type',
  RTMP_BAD_COMMAND: 'command message that cannot be decoded',
  RTMP_UNKNOWN_COMMAND: 'command name this server does not implement',
  RTMP_COMMAND_OUT_OF_ORDER: 'command not valid in the session state',
  RTMP_BAD_STREAM_ID: 'message for a stream id that was not created',
  RTMP_TOO_MANY_STREAMS: 'more message streams created than the configured cap',
  RTMP_REJECTED: 'the application refused the request',
  RTMP_CLOSED: 'session already closed',
} as const;

export type RtmpErrorCode = keyof typeof RTMP_ERROR_CODES;

export class RtmpError extends Error {
  override readonly name = 'RtmpError';
  constructor(
    readonly code: RtmpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
