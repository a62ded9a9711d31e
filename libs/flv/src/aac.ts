/**
 * AAC: the AudioSpecificConfig carried by sequence-start packets (legacy AAC sequence header, E-RTMP 'mp4a'
 * SequenceStart), and ADTS headers for re-packaging raw AAC frames (HLS / MPEG-TS).
 *
 * AudioSpecificConfig (ISO/IEC 14496-3, 1.6.2.1):
 *   audioObjectType = GetAudioObjectType()        // UB[5]; 31 -> 32 + UB[6]
 *   samplingFrequencyIndex UB[4]; 0xf -> samplingFrequency UB[24]
 *   channelConfiguration UB[4]
 *   if (audioObjectType == 5 || audioObjectType == 29) {     // explicit hierarchical SBR (/PS) signalling
 *     extensionAudioObjectType = 5; sbrPresentFlag = 1; if (29) psPresentFlag = 1
 *     extensionSamplingFrequencyIndex UB[4] (0xf -> UB[24]); audioObjectType = GetAudioObjectType()
 *     if (audioObjectType == 22) extensionChannelConfiguration UB[4]
 *   }
 *   GASpecificConfig (4.4.1) for the general audio object types, then, when bits remain and SBR was not
 *   signalled yet, the backward-compatible explicit signalling:
 *     syncExtensionType UB[11] == 0x2b7: extensionAudioObjectType = GetAudioObjectType()
 *       if (5): sbrPresentFlag UB[1]; if set: extensionSamplingFrequencyIndex (+ 24-bit)
 *               and, with 12 more bits, syncExtensionType UB[11] == 0x548: psPresentFlag UB[1]
 *
 * ADTS header (ISO/IEC 13818-7, 6.2.1 / 14496-3 1.A.2.2), 7 bytes without CRC:
 *   syncword 0xFFF | ID 0 (MPEG-4) | layer 00 | protection_absent 1 | profile_ObjectType (AOT - 1) UB[2]
 *   sampling_frequency_index UB[4] | private_bit | channel_configuration UB[3] | original_copy | home
 *   copyright_identification_bit | copyright_identification_start | aac_frame_length UB[13] (header included)
 *   adts_buffer_fullness UB[11] (0x7FF: VBR) | number_of_raw_data_blocks_in_frame UB[2] (0: one block)
 */
import { BitReader } from './bitreader';
import { FlvError } from './errors';

/** Sampling frequencies by samplingFrequencyIndex (Table 1.18); 13 and 14 are reserved, 15 is explicit. */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Channels by channelConfiguration (Table 1.19; 0 means a program_config_element says). */
const CHANNELS_BY_CONFIGURATION: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8 };

export interface AudioSpecificConfig {
  /** The core object type (2 = AAC LC for HE-AAC signalled hierarchically). */
  audioObjectType: number;
  samplingFrequencyIndex: number;
  /** Core sampling frequency in Hz. */
  samplingFrequency: number;
  channelConfiguration: number;
  /** From channelConfiguration; undefined for 0 (program_config_element) and reserved values. */
  channels?: number;
  /** 5 (SBR) when SBR is signalled, explicitly or backward-compatibly. */
  extensionAudioObjectType?: number;
  sbrPresent: boolean;
  psPresent: boolean;
  extensionSamplingFrequencyIndex?: number;
  /** Output sampling frequency of SBR, when signalled. */
  extensionSamplingFrequency?: number;
  /** GASpecificConfig frameLengthFlag: 960-sample frames instead of 1024 (general audio object types). */
  frameLengthFlag?: boolean;
}

/** Object types whose AudioSpecificConfig continues with GASpecificConfig (1.6.2.1). */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

function readObjectType(br: BitReader): number {
  const aot = br.u(5);
  return aot === 31 ? 32 + br.u(6) : aot;
}

function readFrequency(br: BitReader): { index: number; frequency: number } {
  const index = br.u(4);
  if (index === 15) return { index, frequency: br.u(24) };
  const frequency = AAC_SAMPLING_FREQUENCIES[index];
  if (frequency === undefined) throw new FlvError('FLV_INVALID', `samplingFrequencyIndex ${index} is reserved`);
  return { index, frequency };
}

export function parseAudioSpecificConfig(buf: Uint8Array): AudioSpecificConfig {
  const br = new BitReader(buf, 'AudioSpecificConfig');
  let audioObjectType = readObjectType(br);
  if (audioObjectType === 0) throw new FlvError('FLV_INVALID', 'audioObjectType 0 (NULL)');
  const core = readFrequency(br);
  const channelConfiguration = br.u(4);
  const asc: AudioSpecificConfig = {
    audioObjectType,
    samplingFrequencyIndex: core.index,
    samplingFrequency: core.frequency,
    channelConfiguration,
    sbrPresent: false,
    psPresent: false,
  };
  const channels = CHANNELS_BY_CONFIGURATION[channelConfiguration];
  if (channels !== undefined) asc.channels = channels;

  if (audioObjectType === 5 || audioObjectType === 29) {
    asc.extensionAudioObjectType = 5;
    asc.sbrPresent = true;
    asc.psPresent = audioObjectType === 29;
    const ext = readFrequency(br);
    asc.extensionSamplingFrequencyIndex = ext.index;
    asc.extensionSamplingFrequency = ext.frequency;
    audioObjectType = readObjectType(br);
    asc.audioObjectType = audioObjectType;
    if (audioObjectType === 22) br.skip(4); // extensionChannelConfiguration
  }

  if (!GA_OBJECT_TYPES.has(audioObjectType) || channelConfiguration === 0) {
    // Other configs (CELP, HVXC, USAC, ...) and program_config_element are not walked; the fields above stand.
    return asc;
  }
  // GASpecificConfig (4.4.1)
  asc.frameLengthFlag = br.flag();
  if (br.flag()) br.skip(14); // dependsOnCoreCoder -> coreCoderDelay
  const extensionFlag = br.flag();
  if (audioObjectType === 6 || audioObjectType === 20) br.skip(3); // layerNr
  if (extensionFlag) {
    if (audioObjectType === 22) br.skip(16); // numOfSubFrame, layer_length
    if (audioObjectType === 17 || audioObjectType === 19 || audioObjectType === 20 || audioObjectType === 23) br.skip(3);
    br.skip(1); // extensionFlag3
  }

  if (asc.extensionAudioObjectType !== 5 && br.bitsLeft >= 16) {
    // Backward-compatible explicit signalling of SBR / PS (1.6.6.2).
    if (br.u(11) === 0x2b7) {
      const extType = readObjectType(br);
      if (extType === 5) {
        asc.extensionAudioObjectType = 5;
        asc.sbrPresent = br.flag();
        if (asc.sbrPresent) {
          const ext = readFrequency(br);
          asc.extensionSamplingFrequencyIndex = ext.index;
          asc.extensionSamplingFrequency = ext.frequency;
          if (br.bitsLeft >= 12 && br.u(11) === 0x548) asc.psPresent = br.flag();
        }
      }
    }
  }
  return asc;
}

const OBJECT_TYPE_NAMES: Record<number, string> = {
  1: 'Main',
  2: 'LC',
  3: 'SSR',
  4: 'LTP',
  5: 'HE-AAC',
  6: 'Scalable',
  17: 'ER LC',
  19: 'ER LTP',
  20: 'ER Scalable',
  23: 'LD',
  29: 'HE-AACv2',
  39: 'ELD',
  42: 'xHE-AAC',
};

/** 'LC', 'HE-AAC' (LC + SBR), 'HE-AACv2' (LC + SBR + PS), 'Main', 'LD', 'ELD', ... */
export function aacProfileName(asc: AudioSpecificConfig): string {
  if (asc.sbrPresent && asc.psPresent) return 'HE-AACv2';
  if (asc.sbrPresent) return 'HE-AAC';
  return OBJECT_TYPE_NAMES[asc.audioObjectType] ?? `AOT ${asc.audioObjectType}`;
}

export const ADTS_HEADER_SIZE = 7;

/**
 * The 7-byte ADTS header (no CRC) for one raw AAC frame of `payloadLength` bytes. ADTS can describe only object
 * types 1..4 and indexed frequencies, so HE-AAC configs are written as their core (AAC LC at the core rate,
 * SBR implicit); an explicit 24-bit frequency or a channelConfiguration above 7 fails with FLV_UNSUPPORTED.
 */
export function aacAdtsHeader(config: AudioSpecificConfig, payloadLength: number): Buffer {
  const aot = config.audioObjectType;
  if (aot < 1 || aot > 4) throw new FlvError('FLV_UNSUPPORTED', `audioObjectType ${aot} cannot be carried in ADTS`);
  if (config.samplingFrequencyIndex > 12) {
    throw new FlvError('FLV_UNSUPPORTED', 'an explicit sampling frequency cannot be carried in ADTS');
  }
  if (config.channelConfiguration > 7) {
    throw new FlvError('FLV_UNSUPPORTED', `channelConfiguration ${config.channelConfiguration} does not fit ADTS`);
  }
  const frameLength = ADTS_HEADER_SIZE + payloadLength;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || frameLength > 0x1fff) {
    throw new FlvError('FLV_INVALID', `AAC frame of ${payloadLength} bytes does not fit aac_frame_length`);
  }
  const h = Buffer.alloc(ADTS_HEADER_SIZE);
  h[0] = 0xff;
  h[1] = 0xf1; // syncword low bits, ID 0, layer 00, protection_absent 1
  h[2] = ((aot - 1) << 6) | (config.samplingFrequencyIndex << 2) | (config.channelConfiguration >> 2);
  h[3] = ((config.channelConfiguration & 0x03) << 6) | (frameLength >> 11);
  h[4] = (frameLength >> 3) & 0xff;
  h[5] = ((frameLength & 0x07) << 5) | 0x1f; // adts_buffer_fullness 0x7FF, high 5 bits
  h[6] = 0xfc; // adts_buffer_fullness low 6 bits, number_of_raw_data_blocks_in_frame 0
  return h;
}
