/**
 * @ingest/flv - FLV tags, legacy and Enhanced RTMP (v2) audio/video tag headers, codec configuration records
 * and onMetaData. No I/O: bytes in, values out. Every parser throws nothing but FlvError.
 */
export { FLV_ERROR_CODES, FlvError, type FlvErrorCode } from './errors';
export * from './bitreader';
export * from './codecs';
export * from './file';
export { AvMultitrackType, MODEX_TIMESTAMP_OFFSET_NANO, type AvMultitrackTypeName, type ModEx } from './enhanced';
export * from './video';
export * from './audio';
export * from './avc';
export * from './hevc';
export * from './av1';
export * from './vpx';
export * from './aac';
export * from './opus';
export * from './flac';
export * from './mp3';
export * from './script';
export * from './describe';
export * from './frame-flags';
