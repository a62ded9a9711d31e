/** @ingest/bench: the benchmark CLI lives in run.ts; these are its reusable, side-effect-free parts. */
export * from './cli';
export * from './paths';
export * from './pacing';
export * from './procfs';
export * from './report';
export * from './media';
export * from './chunk-reader-bench';
export * from './latency';
export * from './flv-tag-parser';
