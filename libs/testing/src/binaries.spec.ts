import { isAbsolute } from 'node:path';
import { BINARY_PACKAGES, hasBinary, installHint, requireBinary, type BinaryName } from './binaries';

describe('requireBinary', () => {
  it.each(['ffmpeg', 'ffprobe', 'gst-launch-1.0', 'redis-server', 'nats-server'] as const)('finds %s', (name) => {
    const path = requireBinary(name);
    expect(isAbsolute(path)).toBe(true);
    expect(path.endsWith(`/${name}`)).toBe(true);
  });

  it('finds binaries in sbin directories even when PATH lacks them', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(requireBinary('nats-server')).toMatch(/^\/.*\/nats-server$/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('names the exact install command when a binary is missing', () => {
    expect(installHint('ffmpeg')).toBe('ffmpeg not found: run `sudo bash scripts/setup.sh` (or: apt-get install -y ffmpeg)');
    expect(installHint('gst-launch-1.0')).toBe(
      'gst-launch-1.0 not found: run `sudo bash scripts/setup.sh` (or: apt-get install -y gstreamer1.0-tools ' +
        'gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav)',
    );
    expect(installHint('ffprobe')).toContain('apt-get install -y ffmpeg)');
    for (const name of Object.keys(BINARY_PACKAGES) as BinaryName[]) {
      if (!hasBinary(name)) expect(() => requireBinary(name)).toThrow(installHint(name));
    }
  });
});
