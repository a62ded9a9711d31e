import { DashManifestOptions, dashDateTime, dashDuration, dashFrameRate, dashManifest } from './dash';

const live: DashManifestOptions = {
  availabilityStartTime: '2024-05-01T12:00:00Z',
  publishTime: '2024-05-01T12:01:00Z',
  segmentDurationMs: 2000,
  timeShiftBufferDepthMs: 30000,
  video: { codecs: 'avc1.64001f', width: 1280, height: 720, frameRate: 30, bandwidth: 3_000_000 },
  audio: { codecs: 'mp4a.40.2', sampleRate: 44100, channels: 2, bandwidth: 128_000 },
  startNumber: 1,
  initTemplate: 'init-$RepresentationID$.mp4',
  mediaTemplate: 'seg-$RepresentationID$-$Number$.m4s',
};

describe('dashManifest', () => {
  it('writes a dynamic isoff-live MPD with a $Number$ SegmentTemplate per AdaptationSet', () => {
    expect(dashManifest(live)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic"' +
          ' availabilityStartTime="2024-05-01T12:00:00Z" publishTime="2024-05-01T12:01:00Z" minimumUpdatePeriod="PT2S"' +
          ' timeShiftBufferDepth="PT30S" maxSegmentDuration="PT2S" minBufferTime="PT2S">',
        '  <Period id="0" start="PT0S">',
        '    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">',
        '      <SegmentTemplate timescale="1000" duration="2000" startNumber="1" initialization="init-$RepresentationID$.mp4" media="seg-$RepresentationID$-$Number$.m4s"/>',
        '      <Representation id="video" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" frameRate="30" sar="1:1"/>',
        '    </AdaptationSet>',
        '    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">',
        '      <SegmentTemplate timescale="1000" duration="2000" startNumber="1" initialization="init-$RepresentationID$.mp4" media="seg-$RepresentationID$-$Number$.m4s"/>',
        '      <Representation id="audio" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="44100">',
        '        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>',
        '      </Representation>',
        '    </AdaptationSet>',
        '  </Period>',
        '</MPD>',
        '',
      ].join('\n'),
    );
  });

  it('is deterministic', () => {
    expect(dashManifest({ ...live })).toBe(dashManifest(live));
  });

  it('writes the optional attributes and elements', () => {
    const mpd = dashManifest({
      ...live,
      video: undefined,
      audio: { ...live.audio!, id: 'a&b', lang: 'en', channels: undefined },
      presentationTimeOffsetMs: 123456,
      startNumber: 62,
      minimumUpdatePeriodMs: 1000,
      minBufferTimeMs: 4500,
      maxSegmentDurationMs: 3000,
      suggestedPresentationDelayMs: 6000,
      baseUrl: 'https://cdn.example/live/a&b/',
      utcTiming: { schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: 'https://time.example/?iso' },
    });
    expect(mpd).toContain('minimumUpdatePeriod="PT1S"');
    expect(mpd).toContain('maxSegmentDuration="PT3S" minBufferTime="PT4.5S"');
    expect(mpd).toContain('suggestedPresentationDelay="PT6S"');
    expect(mpd).toContain('<BaseURL>https://cdn.example/live/a&amp;b/</BaseURL>');
    expect(mpd).toContain('startNumber="62" presentationTimeOffset="123456"');
    expect(mpd).toContain('<AdaptationSet id="0" contentType="audio" mimeType="audio/mp4" lang="en"');
    expect(mpd).toContain('<Representation id="a&amp;b" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="44100"/>');
    expect(mpd).toMatch(/<\/Period>\n {2}<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="https:\/\/time.example\/\?iso"\/>\n<\/MPD>/);
    expect(mpd).not.toContain('video');
  });

  it('writes a static variant', () => {
    const mpd = dashManifest({ ...live, type: 'static', availabilityStartTime: undefined, timeShiftBufferDepthMs: undefined, mediaPresentationDurationMs: 4033 });
    expect(mpd).toContain('type="static" publishTime="2024-05-01T12:01:00Z" mediaPresentationDuration="PT4.033S"');
    expect(mpd).not.toContain('minimumUpdatePeriod');
    expect(mpd).not.toContain('timeShiftBufferDepth');
  });

  it('rejects incomplete or malformed options', () => {
    expect(() => dashManifest({ ...live, availabilityStartTime: undefined })).toThrow(/availabilityStartTime/);
    expect(() => dashManifest({ ...live, availabilityStartTime: 'yesterday' })).toThrow(/xs:dateTime/);
    expect(() => dashManifest({ ...live, publishTime: '2024-05-01 12:00' })).toThrow(/xs:dateTime/);
    expect(() => dashManifest({ ...live, timeShiftBufferDepthMs: undefined })).toThrow(/timeShiftBufferDepthMs/);
    expect(() => dashManifest({ ...live, type: 'static' })).toThrow(/mediaPresentationDurationMs/);
    expect(() => dashManifest({ ...live, mediaTemplate: 'seg-$Time$.m4s' })).toThrow(/\$Number\$/);
    expect(() => dashManifest({ ...live, video: undefined, audio: undefined })).toThrow(/video or audio/);
    expect(() => dashManifest({ ...live, segmentDurationMs: 0 })).toThrow(RangeError);
    expect(() => dashManifest({ ...live, video: { ...live.video!, id: 'x' }, audio: { ...live.audio!, id: 'x' } })).toThrow(/share/);
  });
});

describe('dash formatting helpers', () => {
  it.each([
    [0, 'PT0S'],
    [2000, 'PT2S'],
    [1500, 'PT1.5S'],
    [4033, 'PT4.033S'],
    [120050, 'PT120.05S'],
  ])('dashDuration(%d) = %s', (ms, s) => expect(dashDuration(ms)).toBe(s));

  it.each([
    [30, '30'],
    [29.97, '30000/1001'],
    [59.94, '60000/1001'],
    [23.976, '24000/1001'],
    [12.5, '25/2'],
    ['25/1', '25/1'],
  ] as const)('dashFrameRate(%s) = %s', (fps, s) => expect(dashFrameRate(fps)).toBe(s));

  it('formats stream-derived dates without a clock', () => {
    expect(dashDateTime(1714564800000)).toBe('2024-05-01T12:00:00Z');
    expect(dashDateTime(1714564800123)).toBe('2024-05-01T12:00:00.123Z');
    expect(() => dashFrameRate('30.5')).toThrow(RangeError);
    expect(() => dashDuration(-1)).toThrow(RangeError);
  });
});
