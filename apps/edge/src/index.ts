export * from './config';
export * from './authorizer';
export * from './edge-server';
export * from './stream-stats';
export * from './stream-table';
