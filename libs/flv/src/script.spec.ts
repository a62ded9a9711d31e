import { AmfEcmaArray, AmfError, encodeAmf0 } from '@ingest/amf';
import { FlvError } from './errors';
import { encodeScriptData, parseScriptData, parseVideoMetadata, readStreamMetadata, unwrapSetDataFrame } from './script';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('script data (Annex E.4.4)', () => {
  const meta = { duration: 0, width: 1920, height: 1080, framerate: 30, videocodecid: 7, audiocodecid: 10, encoder: 'obs-output module' };

  it('encodeScriptData writes onMetaData as name + ECMA array; parseScriptData reads it back', () => {
    const body = encodeScriptData('onMetaData', meta);
    expect(body[0]).toBe(0x02); // string marker
    expect(body[3 + 'onMetaData'.length]).toBe(0x08); // ECMA array marker
    const parsed = parseScriptData(body);
    expect(parsed).toEqual({ name: 'onMetaData', value: meta, args: [meta], setDataFrame: false });
  });

  it('other names keep the value as given', () => {
    const body = encodeScriptData('onCuePoint', { name: 'x', time: 1.5 });
    expect(body[3 + 'onCuePoint'.length]).toBe(0x03); // anonymous object
    expect(parseScriptData(body)).toMatchObject({ name: 'onCuePoint', value: { name: 'x', time: 1.5 } });
  });

  it("unwraps RTMP's ['@setDataFrame', 'onMetaData', {...}]", () => {
    const body = encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray(meta));
    expect(parseScriptData(body)).toEqual({ name: 'onMetaData', value: meta, args: [meta], setDataFrame: true });
  });

  it('a name without a value, and several arguments', () => {
    expect(parseScriptData(encodeAmf0('onFI'))).toEqual({ name: 'onFI', value: undefined, args: [], setDataFrame: false });
    expect(parseScriptData(encodeAmf0('onTextData', 'a', 2)).args).toEqual(['a', 2]);
  });

  it('malformed AMF becomes FlvError FLV_INVALID with the AmfError as cause', () => {
    const err = caught(() => parseScriptData(Uint8Array.from([0x02, 0x00, 0x10, 0x61])));
    expect(err).toBeInstanceOf(FlvError);
    expect((err as FlvError).code).toBe('FLV_INVALID');
    expect((err as FlvError).cause).toBeInstanceOf(AmfError);
  });

  it('a body that does not start with a string name is FLV_INVALID', () => {
    expect((caught(() => parseScriptData(encodeAmf0(1, 'onMetaData'))) as FlvError).code).toBe('FLV_INVALID');
    expect((caught(() => parseScriptData(new Uint8Array(0))) as FlvError).code).toBe('FLV_INVALID');
  });

  it('video Metadata payloads are [name, value] pairs', () => {
    const colorInfo = { colorConfig: { bitDepth: 10 }, hdrCll: { maxFall: 400, maxCLL: 1000 } };
    expect(parseVideoMetadata(encodeAmf0('colorInfo', colorInfo))).toEqual([{ name: 'colorInfo', value: colorInfo }]);
    expect(parseVideoMetadata(encodeAmf0('colorInfo', undefined))).toEqual([{ name: 'colorInfo', value: undefined }]);
    expect((caught(() => parseVideoMetadata(encodeAmf0(5))) as FlvError).code).toBe('FLV_INVALID');
  });
});

describe('readStreamMetadata', () => {
  it('types the usual properties and ignores wrong types', () => {
    expect(
      readStreamMetadata({
        width: 1280,
        height: '720',
        framerate: 29.97,
        videodatarate: 2500,
        audiodatarate: 160,
        videocodecid: 7,
        audiocodecid: 10,
        audiosamplerate: 48000,
        audiosamplesize: 16,
        stereo: true,
        duration: 0,
        filesize: null,
        encoder: 'Lavf61.1.100',
        unknown: 'x',
      }),
    ).toEqual({
      width: 1280,
      framerate: 29.97,
      videodatarate: 2500,
      audiodatarate: 160,
      videocodecid: 7,
      audiocodecid: 10,
      audiosamplerate: 48000,
      audiosamplesize: 16,
      stereo: true,
      duration: 0,
      encoder: 'Lavf61.1.100',
    });
  });

  it('FOURCC codec ids come back as FOURCC strings (E-RTMP: big-endian UI32 numbers)', () => {
    expect(readStreamMetadata({ videocodecid: 0x61763031, audiocodecid: 0x4f707573 })).toEqual({ videocodecid: 'av01', audiocodecid: 'Opus' });
    expect(readStreamMetadata({ videocodecid: 1752589105 })).toEqual({ videocodecid: 'hvc1' });
    expect(readStreamMetadata({ videocodecid: 'hvc1', audiocodecid: 12345 })).toEqual({ videocodecid: 'hvc1', audiocodecid: 12345 });
  });

  it('per-track info maps, AmfEcmaArray input, and non-objects', () => {
    expect(
      readStreamMetadata(
        new AmfEcmaArray({
          width: 1920,
          videoTrackIdInfoMap: { '1': { width: 1024, height: 768, videodatarate: 2000 }, '2': 'bad' },
          audioTrackIdInfoMap: { '1': { audiodatarate: 256, channels: 2, samplerate: 44100 } },
        }),
      ),
    ).toEqual({
      width: 1920,
      videoTrackIdInfoMap: { '1': { width: 1024, height: 768, videodatarate: 2000 }, '2': {} },
      audioTrackIdInfoMap: { '1': { audiodatarate: 256, audiochannels: 2, audiosamplerate: 44100 } },
    });
    expect(readStreamMetadata(undefined)).toEqual({});
    expect(readStreamMetadata([1, 2])).toEqual({});
    expect(readStreamMetadata('onMetaData')).toEqual({});
  });
});

describe('unwrapSetDataFrame', () => {
  test('strips the @setDataFrame wrapper without copying', () => {
    const body = encodeAmf0('@setDataFrame', 'onMetaData', { width: 640 });
    const out = unwrapSetDataFrame(body);
    expect(out.buffer).toBe(body.buffer);
    expect(Buffer.from(out).equals(encodeAmf0('onMetaData', { width: 640 }))).toBe(true);
  });
  test('leaves other data messages alone', () => {
    const body = encodeAmf0('onCuePoint', { name: 'x' });
    expect(unwrapSetDataFrame(body)).toBe(body);
    expect(unwrapSetDataFrame(new Uint8Array([2, 0]))).toEqual(new Uint8Array([2, 0]));
  });
});
