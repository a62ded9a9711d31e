/**
 * gRPC AuthorizePublish: the edge sends the secret key an encoder published with; the answer carries the
 * stream's public name and policy, or the RTMP status to refuse with. Keys are looked up by hash; the secret is
 * never logged.
 */
import type { AuthorizePublishRequest, AuthorizePublishResponse, ControlService } from '@ingest/control-proto';
import type { KeyRefusal, StreamKeyStore } from '@ingest/registry';
import type { Logger } from '@ingest/telemetry';

const REFUSALS: Record<KeyRefusal, [code: string, description: string]> = {
  unknown: ['NetStream.Publish.BadName', 'Stream key is not valid.'],
  revoked: ['NetStream.Publish.BadName', 'Stream key has been revoked.'],
  expired: ['NetStream.Publish.BadName', 'Stream key has expired.'],
  cidr: ['NetStream.Publish.Unauthorized', 'Publishing with this key is not allowed from this address.'],
};

export class PublishAuthorization implements ControlService {
  constructor(
    private readonly keys: StreamKeyStore,
    private readonly logger: Logger,
  ) {}

  async authorizePublish(request: AuthorizePublishRequest): Promise<AuthorizePublishResponse> {
    const decision = await this.keys.authorize(request.key, request.remoteAddress);
    if (!decision.allowed) {
      const [statusCode, description] = REFUSALS[decision.reason];
      this.logger.info(
        { code: 'PUBLISH_REFUSED', reason: decision.reason, keyId: decision.record?.id, stream: decision.record?.name, edge: request.edgeId, remote: request.remoteAddress },
        'publish refused',
      );
      return { allowed: false, streamName: '', statusCode, description, keyId: decision.record?.id ?? '', policy: { maxBitrateKbps: 0, allowedCodecs: [], duplicatePolicy: 'reject' } };
    }
    const { record } = decision;
    this.logger.info({ keyId: record.id, stream: record.name, edge: request.edgeId, remote: request.remoteAddress }, 'publish authorized');
    return {
      allowed: true,
      streamName: record.name,
      statusCode: '',
      description: '',
      keyId: record.id,
      policy: {
        maxBitrateKbps: record.policy.maxBitrateKbps ?? 0,
        allowedCodecs: record.policy.allowedCodecs,
        duplicatePolicy: record.policy.duplicatePolicy,
      },
    };
  }
}
