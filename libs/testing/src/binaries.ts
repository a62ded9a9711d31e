import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

export type BinaryName =
  | 'ffmpeg'
  | 'ffprobe'
  | 'gst-launch-1.0'
  | 'redis-server'
  | 'nats-server'
  | 'rtmpdump'
  | 'openssl'
  | 'chromium';

/** The Debian packages that provide each binary (what scripts/setup.sh installs). */
export const BINARY_PACKAGES: Readonly<Record<BinaryName, readonly string[]>> = {
  ffmpeg: ['ffmpeg'],
  ffprobe: ['ffmpeg'],
  'gst-launch-1.0': [
    'gstreamer1.0-tools',
    'gstreamer1.0-plugins-base',
    'gstreamer1.0-plugins-good',
    'gstreamer1.0-plugins-bad',
    'gstreamer1.0-libav',
  ],
  'redis-server': ['redis-server'],
  'nats-server': ['nats-server'],
  rtmpdump: ['rtmpdump'],
  openssl: ['openssl'],
  chromium: ['chromium'],
};

/** Executable names tried for each binary, in order (Ubuntu ships chromium as chromium-browser). */
const CANDIDATES: Partial<Record<BinaryName, readonly string[]>> = {
  chromium: ['chromium', 'chromium-browser'],
};

/** sbin directories are searched too: Debian installs nats-server in /usr/sbin, which is not on every user's PATH. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The error message for a missing binary: the exact command that installs it. */
export function installHint(name: BinaryName): string {
  return `${name} not found: run \`sudo bash scripts/setup.sh\` (or: apt-get install -y ${BINARY_PACKAGES[name].join(' ')})`;
}

/**
 * Absolute path of `name` from $PATH (plus the sbin directories), or throws an Error naming the install command.
 * Not cached: a lookup is a few stat calls, and tests may change PATH.
 */
export function requireBinary(name: BinaryName): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const exe of CANDIDATES[name] ?? [name]) {
    for (const dir of dirs) {
      const path = resolve(dir, exe);
      if (isExecutableFile(path)) return path;
    }
  }
  throw new Error(installHint(name));
}

/** True when `name` is installed; for `describe.skip`-style gating of optional tools (e.g. chromium). */
export function hasBinary(name: BinaryName): boolean {
  try {
    requireBinary(name);
    return true;
  } catch {
    return false;
  }
}
