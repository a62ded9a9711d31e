export * from './events';
export * from './webhooks';
