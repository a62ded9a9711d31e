/** RTMP message type ids (RTMP specification 1.0, sections 5.4 and 7.1). */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/** User control event types (section 7.1.7). */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEOF: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

/** Set Peer Bandwidth limit types (section 5.4.5). */
export const BandwidthLimit = { Hard: 0, Soft: 1, Dynamic: 2 } as const;

/** Chunk stream ids used for our own outgoing messages (any value in 3..65599 is allowed). */
export const ChunkStream = {
  Protocol: 2, // section 5.4: protocol control messages MUST use chunk stream id 2
  Command: 3,
  Audio: 4,
  Video: 6,
  Data: 5,
} as const;

export const HANDSHAKE_SIZE = 1536;
export const RTMP_VERSION = 3;
export const RTMPE_VERSION = 6;
export const DEFAULT_CHUNK_SIZE = 128;
