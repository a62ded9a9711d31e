import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { NO_PUBLISH_POLICY, type AuthorizePublishRequest, type AuthorizePublishResponse, type PublishPolicy } from './types';

/** proto/control.proto (next to src/ and dist/, so this works from both). */
export const CONTROL_PROTO_PATH = join(__dirname, '..', 'proto', 'control.proto');

/** Fully qualified service name. */
export const CONTROL_SERVICE_NAME = 'ingest.control.v1.Control';

export const PROTO_LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: false,
  oneofs: true,
});

let serviceClient: grpc.ServiceClientConstructor | undefined;

/** The generated client class of ingest.control.v1.Control (its `.service` is the definition servers add). */
export function controlServiceClient(): grpc.ServiceClientConstructor {
  if (serviceClient === undefined) {
    const definition = protoLoader.loadSync(CONTROL_PROTO_PATH, PROTO_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { ingest: { control: { v1: { Control: grpc.ServiceClientConstructor } } } };
    serviceClient = loaded.ingest.control.v1.Control;
  }
  return serviceClient;
}

const MAX_UINT32 = 0xffff_ffff;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** An AuthorizePublishRequest with every field a string ('' for anything missing or not a string). */
export function normalizeRequest(message: unknown): AuthorizePublishRequest {
  const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  return { key: str(m.key), app: str(m.app), remoteAddress: str(m.remoteAddress), protocol: str(m.protocol), edgeId: str(m.edgeId) };
}

/** A decoded AuthorizePublishResponse message, with defaults for whatever is missing. */
export function responseFromWire(message: unknown): AuthorizePublishResponse {
  const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  const p = (typeof m.policy === 'object' && m.policy !== null ? m.policy : {}) as Record<string, unknown>;
  const kbps = typeof p.maxBitrateKbps === 'number' && Number.isInteger(p.maxBitrateKbps) && p.maxBitrateKbps > 0 ? p.maxBitrateKbps : 0;
  const policy: PublishPolicy = {
    maxBitrateKbps: kbps,
    allowedCodecs: Array.isArray(p.allowedCodecs) ? p.allowedCodecs.filter((c): c is string => typeof c === 'string') : [...NO_PUBLISH_POLICY.allowedCodecs],
    duplicatePolicy: p.duplicatePolicy === 'takeover' ? 'takeover' : 'reject',
  };
  return {
    allowed: m.allowed === true,
    streamName: str(m.streamName),
    statusCode: str(m.statusCode),
    description: str(m.description),
    keyId: str(m.keyId),
    policy,
  };
}

/**
 * The service's answer as a message; throws TypeError when it is not a valid AuthorizePublishResponse (a bug in the
 * service: the server answers INTERNAL rather than send something the edge would misread).
 */
export function responseToWire(response: AuthorizePublishResponse): AuthorizePublishResponse {
  if (typeof response !== 'object' || response === null) throw new TypeError('AuthorizePublishResponse must be an object');
  if (typeof response.allowed !== 'boolean') throw new TypeError('AuthorizePublishResponse.allowed must be a boolean');
  for (const field of ['streamName', 'statusCode', 'description', 'keyId'] as const) {
    const value: unknown = response[field];
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`AuthorizePublishResponse.${field} must be a string`);
  }
  const policy: Partial<PublishPolicy> = response.policy ?? {};
  const kbps = policy.maxBitrateKbps ?? 0;
  if (!Number.isInteger(kbps) || kbps < 0 || kbps > MAX_UINT32) throw new TypeError('PublishPolicy.maxBitrateKbps must be an integer from 0 to 2^32-1');
  const codecs = policy.allowedCodecs ?? [];
  if (!Array.isArray(codecs) || !codecs.every((c) => typeof c === 'string')) throw new TypeError('PublishPolicy.allowedCodecs must be an array of strings');
  const duplicatePolicy = policy.duplicatePolicy ?? 'reject';
  if (duplicatePolicy !== 'reject' && duplicatePolicy !== 'takeover') throw new TypeError("PublishPolicy.duplicatePolicy must be 'reject' or 'takeover'");
  return {
    allowed: response.allowed,
    streamName: response.streamName ?? '',
    statusCode: response.statusCode ?? '',
    description: response.description ?? '',
    keyId: response.keyId ?? '',
    policy: { maxBitrateKbps: kbps, allowedCodecs: [...codecs], duplicatePolicy },
  };
}

/** `text` with every occurrence of `secret` replaced (for log lines and error messages). */
export function redact(text: string, secret: string): string {
  return secret.length > 0 ? text.split(secret).join('[Redacted]') : text;
}
