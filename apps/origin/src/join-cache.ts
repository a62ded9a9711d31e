/**
 * What a viewer joining mid-stream needs before live messages: the metadata, the latest audio and video
 * sequence headers, and the current GOP from its keyframe (audio included), so playback starts at once.
 * Bounded: a GOP larger than `maxGopBytes` is dropped (headers kept) until the next keyframe.
 */
import { TYPE_AUDIO, TYPE_DATA, TYPE_VIDEO, type OutMessage } from './media';

export class JoinCache {
  private metadata: OutMessage | undefined;
  private videoConfig: OutMessage | undefined;
  private audioConfig: OutMessage | undefined;
  private gop: OutMessage[] = [];
  private gopBytes = 0;
  private overflowed = false;
  private sawVideo = false;

  constructor(
    private readonly maxGopBytes = 16 * 1024 * 1024,
    /** Without video, keep this much audio for joiners. */
    private readonly audioOnlyWindowMs = 1000,
  ) {}

  add(message: OutMessage): void {
    if (message.config) {
      if (message.type === TYPE_DATA) this.metadata = message;
      else if (message.type === TYPE_VIDEO) this.videoConfig = message;
      else if (message.type === TYPE_AUDIO) this.audioConfig = message;
      return;
    }
    if (message.type === TYPE_VIDEO) this.sawVideo = true;
    if (message.keyframe) {
      this.gop = [];
      this.gopBytes = 0;
      this.overflowed = false;
    } else if (this.overflowed || (this.sawVideo && this.gop.length === 0)) {
      return; // waiting for a keyframe
    }
    this.gop.push(message);
    this.gopBytes += message.payload.length;
    if (this.gopBytes > this.maxGopBytes) {
      this.gop = [];
      this.gopBytes = 0;
      this.overflowed = true;
    } else if (!this.sawVideo) {
      const cutoff = message.timestamp - this.audioOnlyWindowMs;
      while (this.gop.length > 1 && this.gop[0].timestamp < cutoff) this.gopBytes -= this.gop.shift()!.payload.length;
    }
  }

  /** Metadata, sequence headers, then the GOP. */
  snapshot(): OutMessage[] {
    const out: OutMessage[] = [];
    if (this.metadata) out.push(this.metadata);
    if (this.videoConfig) out.push(this.videoConfig);
    if (this.audioConfig) out.push(this.audioConfig);
    return out.concat(this.gop);
  }

  get hasVideo(): boolean {
    return this.sawVideo || this.videoConfig !== undefined;
  }

  clear(): void {
    this.metadata = this.videoConfig = this.audioConfig = undefined;
    this.gop = [];
    this.gopBytes = 0;
    this.overflowed = false;
    this.sawVideo = false;
  }
}
