import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, isAbsolute, resolve } from 'node:path';

const created = new Set<string>();

/** A fresh directory under os.tmpdir(), e.g. /tmp/ingest-redis-AbC123. Remembered for cleanupTempDirs(). */
export async function makeTempDir(prefix = 'ingest-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** Removes a directory recursively; refuses anything outside os.tmpdir() so a bad argument cannot do damage. */
export async function removeTempDir(dir: string): Promise<void> {
  const rel = relative(tmpdir(), resolve(dir));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`removeTempDir: refusing to remove ${dir}: not inside ${tmpdir()}`);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  created.delete(resolve(dir));
}

/** Removes every directory makeTempDir() created in this module instance (i.e. this test file). */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all([...created].map((dir) => removeTempDir(dir)));
}
