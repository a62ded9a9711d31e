/**
 * Who may publish. In production the control plane decides over gRPC (`ControlPlaneAuthorizer`): the publish
 * name is a secret stream key, mapped to the stream's public name and its policy. `OpenAuthorizer` (opt-in,
 * EDGE_AUTHORIZATION=open) accepts any well-formed name as its own stream name, for development and tests.
 */
import { ControlClient, type PublishPolicy } from '@ingest/control-proto';
import { STREAM_NAME_PATTERN } from '@ingest/relay';

export interface PublishAttempt {
  app: string;
  /** The stream key as the encoder sent it (publish name without the query string). */
  key: string;
  query: string;
  remoteAddress: string;
  protocol: 'rtmp' | 'rtmps';
}

export type { PublishPolicy };

export type PublishDecision =
  | { allowed: true; /** Public stream name used for playback. */ streamName: string; keyId?: string; policy?: PublishPolicy }
  | { allowed: false; /** onStatus code, e.g. NetStream.Publish.BadName. */ code: string; description: string };

export interface PublishAuthorizer {
  authorize(attempt: PublishAttempt): Promise<PublishDecision>;
  close?(): void;
}

export class OpenAuthorizer implements PublishAuthorizer {
  async authorize(attempt: PublishAttempt): Promise<PublishDecision> {
    if (!STREAM_NAME_PATTERN.test(attempt.key)) {
      return { allowed: false, code: 'NetStream.Publish.BadName', description: 'Stream key is malformed.' };
    }
    return { allowed: true, streamName: attempt.key };
  }
}

/** Asks the control plane (gRPC AuthorizePublish, with a deadline); unreachable -> the caller refuses the publish. */
export class ControlPlaneAuthorizer implements PublishAuthorizer {
  private readonly client: ControlClient;

  constructor(
    address: string,
    private readonly edgeId: string,
    private readonly deadlineMs: number,
  ) {
    this.client = new ControlClient(address);
  }

  async authorize(attempt: PublishAttempt): Promise<PublishDecision> {
    // A malformed key cannot be valid: refuse without a round trip (and without sending junk to the control plane).
    if (attempt.key.length === 0 || attempt.key.length > 256 || !/^[\x21-\x7e]+$/.test(attempt.key)) {
      return { allowed: false, code: 'NetStream.Publish.BadName', description: 'Stream key is malformed.' };
    }
    const answer = await this.client.authorizePublish(
      { key: attempt.key, app: attempt.app, remoteAddress: attempt.remoteAddress, protocol: attempt.protocol, edgeId: this.edgeId },
      this.deadlineMs,
    );
    if (!answer.allowed) return { allowed: false, code: answer.statusCode || 'NetStream.Publish.BadName', description: answer.description || 'Publishing refused.' };
    if (!STREAM_NAME_PATTERN.test(answer.streamName)) return { allowed: false, code: 'NetStream.Publish.Failed', description: 'The stream has no valid name.' };
    return { allowed: true, streamName: answer.streamName, keyId: answer.keyId, policy: answer.policy };
  }

  close(): void {
    this.client.close();
  }
}
