/** Where the benchmark keeps things, from its build output (bench/dist) or its sources (bench/src, in jest). */
import { join } from 'node:path';

export const BENCH_DIR = join(__dirname, '..');
export const ROOT = join(BENCH_DIR, '..');
/** Generated media (git-ignored). */
export const MEDIA_DIR = join(BENCH_DIR, 'media');
/** <scenario>.jsonl result files (git-ignored). */
export const RESULTS_DIR = join(BENCH_DIR, 'results');
