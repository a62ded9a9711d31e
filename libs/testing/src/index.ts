export * from './binaries';
export * from './media';
export * from './nats';
export * from './ports';
export * from './process';
export * from './redis';
export type { TestServer } from './server';
export * from './tmp';
