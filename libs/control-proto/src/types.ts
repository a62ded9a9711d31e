/** AuthorizePublish request, as the edge sends it. `key` is the secret stream key: never log it. */
export interface AuthorizePublishRequest {
  key: string;
  app: string;
  remoteAddress: string;
  /** 'rtmp' | 'rtmps' */
  protocol: string;
  edgeId: string;
}

/** What the edge enforces for an allowed publish. */
export interface PublishPolicy {
  /** 0 = no limit. */
  maxBitrateKbps: number;
  /** [] = any; lower-case codec names ('h264', 'hevc', 'av1', 'vp9', 'aac', 'mp3', 'opus'). */
  allowedCodecs: string[];
  duplicatePolicy: 'reject' | 'takeover';
}

export interface AuthorizePublishResponse {
  allowed: boolean;
  /** Public stream name (when allowed). */
  streamName: string;
  /** RTMP onStatus code when refused (see PUBLISH_STATUS); '' when allowed. */
  statusCode: string;
  /** Human-readable reason; never contains the key. */
  description: string;
  keyId: string;
  policy: PublishPolicy;
}

/** The control plane's side of the contract (implemented by the control plane, served by startControlGrpcServer). */
export interface ControlService {
  authorizePublish(request: AuthorizePublishRequest): Promise<AuthorizePublishResponse>;
}

/** onStatus codes for refused publishes. */
export const PUBLISH_STATUS = Object.freeze({
  /** Unknown, revoked or expired stream key. */
  BadName: 'NetStream.Publish.BadName',
  /** The key is valid but not from this address (CIDR policy). */
  Unauthorized: 'NetStream.Publish.Unauthorized',
} as const);

/** The onStatus code for a stream-key refusal reason (KeyRefusal of @ingest/registry). */
export function refusalStatusCode(reason: 'unknown' | 'revoked' | 'expired' | 'cidr'): string {
  return reason === 'cidr' ? PUBLISH_STATUS.Unauthorized : PUBLISH_STATUS.BadName;
}

/** The policy of a response without one (also the edge's default). */
export const NO_PUBLISH_POLICY: Readonly<PublishPolicy> = Object.freeze({
  maxBitrateKbps: 0,
  allowedCodecs: Object.freeze([]) as unknown as string[],
  duplicatePolicy: 'reject',
});
