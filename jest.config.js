// One jest run for the whole workspace, in two projects:
//  unit: {libs,apps}/*/src/**/*.spec.ts - one module at a time; service libraries' specs talk to a private real
//        redis-server / nats-server (never a mock), protocol libraries' specs are pure
//  e2e:  {libs,apps}/*/test/**/*.e2e.spec.ts - whole nodes as processes with real redis-server, nats-server,
//        ffmpeg, gstreamer, started per suite on free ports
'use strict';
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const common = {
  // Node's environment, plus killing any process a test file left running (scripts/jest-environment.js).
  testEnvironment: '<rootDir>/scripts/jest-environment.js',
  transform: { '^.+\\.ts$': swc },
  // Resolve workspace packages to their TypeScript sources, as tsc does with customConditions.
  testEnvironmentOptions: { customExportConditions: ['@ingest/source', 'node', 'require', 'default'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,apps}/*/src/**/*.spec.ts', '<rootDir>/bench/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/{libs,apps}/*/test/**/*.e2e.spec.ts'], testTimeout: 120000, slowTestThreshold: 60 },
  ],
};
