import { STREAM_NAME_PATTERN } from '@ingest/relay';
/**
 * Who may publish. The control plane will implement this over gRPC; until then every well-formed key is
 * accepted and its stream is named after the key.
 */
export interface PublishAttempt {
  app: string;
  /** The stream key as the encoder sent it (publish name without the query string). */
  key: string;
  query: string;
  remoteAddress: string;
  protocol: 'rtmp' | 'rtmps';
}

export type PublishDecision =
  | { allowed: true; /** Public stream name used for playback. */ streamName: string }
  | { allowed: false; /** onStatus code, e.g. NetStream.Publish.BadName. */ code: string; description: string };

export interface PublishAuthorizer {
  authorize(attempt: PublishAttempt): Promise<PublishDecision>;
}


export class AllowAllAuthorizer implements PublishAuthorizer {
  async authorize(attempt: PublishAttempt): Promise<PublishDecision> {
    if (!STREAM_NAME_PATTERN.test(attempt.key)) {
      return { allowed: false, code: 'NetStream.Publish.BadName', description: 'Stream key is malformed.' };
    }
    return { allowed: true, streamName: attempt.key };
  }
}
