/**
 * When will a stream's next message come? A live publisher sends each audio and video frame when it is produced,
 * in timestamp order and at real-time pace: AAC every 1024 samples (~23 ms at 44.1 kHz), video every frame
 * (~33 ms at 30 fps). From the last timestamp and the last interval of each track, the next message of a stream is
 * due at min(last audio + audio interval, last video + video interval), in media time, which is also real time for
 * a live stream.
 *
 * The relay batcher uses the answer to flush early: a message whose stream expects nothing more within the batch
 * window need not wait for the window to end (batcher.ts). A wrong guess costs only latency up to the window (a
 * predicted message that comes late or not at all) or one write (a message that comes sooner than predicted and
 * misses the batch that just went), never data.
 *
 * Pure state, no I/O, no clock: one per stream.
 */

/** Intervals outside (0, MAX_INTERVAL_MS] are not a cadence (a timestamp jump, a gap, a reset). */
const MAX_INTERVAL_MS = 1000;

/** Media message kinds the cadence follows (RTMP message types). */
const AUDIO = 8;
const VIDEO = 9;

export class StreamCadence {
  private lastAudio = -1;
  private audioInterval = 0;
  private lastVideo = -1;
  private videoInterval = 0;

  /**
   * Records a message of RTMP `type` (8 audio, 9 video, 18 data) with `timestamp` (ms, modulo 2^32) and returns in
   * how many ms of media time the stream's next message is due: >= 0, or Infinity when no track has a cadence yet
   * or every track is well overdue. Data messages do not move the cadence.
   */
  next(type: number, timestamp: number): number {
    const ts = timestamp >>> 0;
    if (type === AUDIO) {
      if (this.lastAudio >= 0) this.audioInterval = cadenceOf(ts, this.lastAudio, this.audioInterval);
      this.lastAudio = ts;
    } else if (type === VIDEO) {
      if (this.lastVideo >= 0) this.videoInterval = cadenceOf(ts, this.lastVideo, this.videoInterval);
      this.lastVideo = ts;
    }
    return Math.min(dueIn(this.lastAudio, this.audioInterval, ts), dueIn(this.lastVideo, this.videoInterval, ts));
  }
}

/** The interval from `previous` to `ts` (modulo 2^32), or 0 when it is not a cadence. */
function cadenceOf(ts: number, previous: number, current: number): number {
  const delta = (ts - previous) | 0;
  if (delta > 0 && delta <= MAX_INTERVAL_MS) return delta;
  // The same timestamp twice (e.g. two audio frames in one ms) keeps the cadence; a jump drops it.
  return delta === 0 ? current : 0;
}

/**
 * ms from `now` to the track's next message: 0 when it is due now or a little overdue (less than half an
 * interval: the other track's frame of the same instant, sent right behind this one), Infinity when the track has
 * no cadence yet or is well overdue (a dropped frame: do not wait for it).
 */
function dueIn(last: number, interval: number, now: number): number {
  if (last < 0 || interval === 0) return Infinity;
  const due = (last + interval - now) | 0;
  if (due > 0) return due;
  return -due < interval / 2 ? 0 : Infinity;
}
