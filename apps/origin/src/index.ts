export * from './config';
export * from './origin-server';
export * from './hub';
export * from './media';
export * from './join-cache';
