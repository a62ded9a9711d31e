#!/usr/bin/env bash
# Installs the system packages the project runs and tests with (Debian 12). Run as root: `sudo bash scripts/setup.sh`.
# Without root it only reports what is missing, with the exact command to run, and exits non-zero.
set -euo pipefail

# binary -> Debian package(s)
declare -A NEED=(
  [redis-server]="redis-server"
  [nats-server]="nats-server"
  [ffmpeg]="ffmpeg"
  [ffprobe]="ffmpeg"
  [gst-launch-1.0]="gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav"
  [rtmpdump]="rtmpdump"
  [openssl]="openssl"
  [chromium]="chromium"
)

missing=()
for bin in "${!NEED[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ] && [ ! -x "/usr/bin/$bin" ]; then
    missing+=(${NEED[$bin]})
  fi
done
# GStreamer elements the tests use, from plugins-bad / libav.
if command -v gst-inspect-1.0 >/dev/null 2>&1; then
  for element in rtmp2sink rtmpsink flvmux flvdemux h264parse aacparse; do
    gst-inspect-1.0 "$element" >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-bad gstreamer1.0-plugins-good)
  done
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present"
  exit 0
fi
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing system packages. Run: sudo apt-get update && sudo apt-get install -y $packages" >&2
  exit 1
fi
echo "setup: installing $packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
echo "setup: done"
