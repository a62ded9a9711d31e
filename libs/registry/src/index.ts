export {
  closeRedis,
  clusterNodeRedisOptions,
  connectRedis,
  reconnectDelayMs,
  RegistryError,
  toRegistryError,
  waitForRedis,
  type ConnectRedisOptions,
  type RegistryErrorCode,
} from './connection';
export { DEFAULT_PREFIX, DEFAULT_TTL_MS, registryKeys, type RegistryKeys, type RegistryOptions } from './keys';
export { EPOCH_COUNTER_TTL_MS, NodeRegistry, type NodeLoad, type NodeRecord, type NodeRole } from './nodes';
export { StreamRegistry, type ClaimResult, type RefreshResult, type StreamRecord } from './streams';
export { ViewerRegistry } from './viewers';
export { cidrContains, parseCidr, type Cidr } from './cidr';
export {
  DEFAULT_STREAM_KEY_POLICY,
  policyAllowsAddress,
  resolveStreamKeyPolicy,
  STREAM_KEY_CODECS,
  STREAM_KEY_NAME_PATTERN,
  StreamKeyStore,
  type CreatedStreamKey,
  type KeyDecision,
  type KeyRefusal,
  type StreamKeyPolicy,
  type StreamKeyRecord,
} from './stream-keys';
