import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupTempDirs, makeTempDir, removeTempDir } from './tmp';

describe('temp dirs', () => {
  it('creates unique dirs under os.tmpdir() and removes them', async () => {
    const a = await makeTempDir('ingest-tmp-spec-');
    const b = await makeTempDir('ingest-tmp-spec-');
    expect(a).not.toBe(b);
    expect(a.startsWith(join(tmpdir(), 'ingest-tmp-spec-'))).toBe(true);
    await writeFile(join(a, 'f'), 'x');
    await removeTempDir(a);
    expect(existsSync(a)).toBe(false);
    await cleanupTempDirs();
    expect(existsSync(b)).toBe(false);
  });

  it('refuses to remove anything outside os.tmpdir()', async () => {
    await expect(removeTempDir('/work')).rejects.toThrow(/refusing/);
    await expect(removeTempDir(tmpdir())).rejects.toThrow(/refusing/);
    await expect(removeTempDir(join(tmpdir(), '..', 'etc'))).rejects.toThrow(/refusing/);
  });
});
