import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import globals from 'globals';

// Protocol libraries take and return bytes and values: no sockets, files, timers of their own, Redis or NATS.
const ioModules = ['net', 'tls', 'http', 'https', 'http2', 'dgram', 'fs', 'fs/promises', 'child_process', 'cluster', 'worker_threads'];
const ioRestriction = {
  paths: [
    ...ioModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'protocol libraries do no I/O' })),
    ...['ioredis', '@nats-io/transport-node', '@nats-io/jetstream', 'pino'].map((name) => ({ name, message: 'protocol libraries do no I/O' })),
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.nx/**', 'bench/media/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: ['type:protocol'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:protocol', 'type:service'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:protocol', 'type:service', 'type:testing'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:protocol', 'type:service', 'type:testing'] },
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:protocol', 'type:service', 'type:testing'] },
          ],
        },
      ],
    },
  },
  {
    // Tests of any project may use the testing library (real redis-server, nats-server, ffmpeg ...).
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: ['@ingest/testing'], depConstraints: [{ sourceTag: '*', onlyDependOnLibsWithTags: ['*'] }] }],
    },
  },
  {
    files: ['libs/amf/src/**/*.ts', 'libs/rtmp/src/**/*.ts', 'libs/flv/src/**/*.ts', 'libs/hls/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', ioRestriction] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
