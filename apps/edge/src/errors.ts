/** Named reasons the edge itself closes a connection (protocol errors come from @ingest/rtmp's RtmpError). */
export const EDGE_CLOSE_CODES = {
  EDGE_HANDSHAKE_TIMEOUT: 'handshake and connect did not complete in time',
  EDGE_IDLE_TIMEOUT: 'no bytes from the peer for the idle timeout',
  EDGE_COMMAND_FLOOD: 'more commands per second than allowed',
  EDGE_PUBLISH_REFUSED: 'the publish request was refused',
  EDGE_AUTHORIZE_FAILED: 'the authorizer failed or timed out',
  EDGE_REGISTRY_UNAVAILABLE: 'the stream could not be claimed in the registry (Redis unreachable)',
  EDGE_SOCKET_ERROR: 'the socket failed',
  EDGE_TLS_ERROR: 'the TLS handshake failed',
  EDGE_SHUTDOWN: 'the edge is shutting down',
  EDGE_KICKED: 'the stream was kicked',
  EDGE_POLICY_VIOLATION: "the stream broke its key's policy (codec, bitrate)",
  EDGE_INTERNAL: 'unexpected error while handling the connection',
} as const;

export type EdgeCloseCode = keyof typeof EDGE_CLOSE_CODES;
