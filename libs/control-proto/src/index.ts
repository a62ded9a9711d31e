export { ControlClient, ControlUnavailableError, CONTROL_CHANNEL_OPTIONS, type ControlClientOptions } from './client';
export { CONTROL_PROTO_PATH, CONTROL_SERVICE_NAME } from './proto';
export { CONTROL_SERVER_OPTIONS, INTERNAL_ERROR_MESSAGE, startControlGrpcServer, type ControlGrpcServer, type ControlGrpcServerOptions } from './server';
export {
  NO_PUBLISH_POLICY,
  PUBLISH_STATUS,
  refusalStatusCode,
  type AuthorizePublishRequest,
  type AuthorizePublishResponse,
  type ControlService,
  type PublishPolicy,
} from './types';
