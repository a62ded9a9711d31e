import { HlsSegmenter, type SegmenterFrame } from './segmenter';
import { mediaPlaylistFmp4, mediaPlaylistLowLatency, mediaPlaylistTs, parseBlockingReload, type PlaylistSegment } from './playlist';

const SEGMENTS: PlaylistSegment[] = [
  { number: 41, durationMs: 2000 },
  { number: 42, durationMs: 2002 },
  { number: 43, durationMs: 1500, discontinuity: true },
  { number: 44, durationMs: 2033 },
];

describe('media playlists', () => {
  it('MPEG-TS: version 3, EXTINF with three decimals, a discontinuity, seg-<n>.ts', () => {
    expect(mediaPlaylistTs(SEGMENTS, { targetDuration: 2, mediaSequence: 41, discontinuitySequence: 3 })).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:41',
        '#EXT-X-DISCONTINUITY-SEQUENCE:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXTINF:2.000,',
        'seg-41.ts',
        '#EXTINF:2.002,',
        'seg-42.ts',
        '#EXT-X-DISCONTINUITY',
        '#EXTINF:1.500,',
        'seg-43.ts',
        '#EXTINF:2.033,',
        'seg-44.ts',
        '',
      ].join('\n'),
    );
  });

  it('fMP4: version 7, EXT-X-MAP, seg-<n>.m4s, ENDLIST; the media sequence defaults to the first number', () => {
    expect(mediaPlaylistFmp4(SEGMENTS.slice(0, 2), { targetDuration: 2, endList: true })).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:41',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:2.000,',
        'seg-41.m4s',
        '#EXTINF:2.002,',
        'seg-42.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    expect(mediaPlaylistFmp4([], { targetDuration: 4, initUri: 'v/init-7.mp4' })).toContain('#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="v/init-7.mp4"\n');
  });

  it('raises EXT-X-TARGETDURATION to the longest rounded EXTINF, and rejects bad options', () => {
    expect(mediaPlaylistTs([{ number: 1, durationMs: 3499 }], { targetDuration: 2 })).toContain('#EXT-X-TARGETDURATION:3\n');
    expect(mediaPlaylistTs([{ number: 1, durationMs: 2499 }], { targetDuration: 2 })).toContain('#EXT-X-TARGETDURATION:2\n');
    expect(() => mediaPlaylistTs(SEGMENTS, { targetDuration: 1.5 })).toThrow(RangeError);
    expect(() => mediaPlaylistTs(SEGMENTS, { targetDuration: 2, mediaSequence: -1 })).toThrow(RangeError);
    expect(() => mediaPlaylistTs([{ number: 1, durationMs: NaN }], { targetDuration: 2 })).toThrow(RangeError);
    expect(() => mediaPlaylistFmp4([], { targetDuration: 2, initUri: 'a"b' })).toThrow(RangeError);
  });

  it('LL-HLS: server control, part info, parts of the last segments and of the one being built, a preload hint', () => {
    const p = (durationMs: number, independent = false) => ({ durationMs, independent });
    const six = [p(333, true), p(333), p(334), p(333, true), p(333), p(334)];
    const text = mediaPlaylistLowLatency(
      [
        { number: 10, durationMs: 2000, parts: six },
        { number: 11, durationMs: 2000, parts: six },
        { number: 12, durationMs: 2000, parts: six },
        { number: 13, durationMs: 2000, parts: six, discontinuity: true },
      ],
      { targetDuration: 2, partTargetMs: 334, pending: { number: 14, parts: [p(333, true), p(333)] } },
    );
    const parts = (n: number) => [
      `#EXT-X-PART:DURATION=0.333,URI="part-${n}.0.m4s",INDEPENDENT=YES`,
      `#EXT-X-PART:DURATION=0.333,URI="part-${n}.1.m4s"`,
      `#EXT-X-PART:DURATION=0.334,URI="part-${n}.2.m4s"`,
      `#EXT-X-PART:DURATION=0.333,URI="part-${n}.3.m4s",INDEPENDENT=YES`,
      `#EXT-X-PART:DURATION=0.333,URI="part-${n}.4.m4s"`,
      `#EXT-X-PART:DURATION=0.334,URI="part-${n}.5.m4s"`,
    ];
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002',
        '#EXT-X-PART-INF:PART-TARGET=0.334',
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:2.000,',
        'seg-10.m4s',
        '#EXTINF:2.000,',
        'seg-11.m4s',
        ...parts(12),
        '#EXTINF:2.000,',
        'seg-12.m4s',
        '#EXT-X-DISCONTINUITY',
        ...parts(13),
        '#EXTINF:2.000,',
        'seg-13.m4s',
        '#EXT-X-PART:DURATION=0.333,URI="part-14.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.333,URI="part-14.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-14.2.m4s"',
        '',
      ].join('\n'),
    );
  });

  it('LL-HLS from a live segmenter: part target, hold back and hint follow the segmenter state', () => {
    const seg = new HlsSegmenter<SegmenterFrame>({ targetDurationMs: 2000, partTargetMs: 333, windowSegments: 4 });
    for (let i = 0; i < 160; i++) seg.push({ kind: 'video', dts: Math.round((i * 1000) / 30), keyframe: i % 60 === 0 });
    const text = mediaPlaylistLowLatency(seg.window, {
      targetDuration: 2,
      partTargetMs: seg.advertisedPartTargetMs,
      mediaSequence: seg.mediaSequence,
      discontinuitySequence: seg.discontinuitySequence,
      pending: seg.pending,
    });
    expect(text).toContain('#EXT-X-PART-INF:PART-TARGET=0.334\n');
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
    expect(text.match(/#EXT-X-PART:/g)).toHaveLength(6 + 6 + 3); // segments 0, 1 and three parts of 2 (4000 .. 5000)
    expect(text.endsWith('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-2.3.m4s"\n')).toBe(true);
    expect(() => mediaPlaylistLowLatency([], { targetDuration: 2, partTargetMs: 334, partHoldBackMs: 600 })).toThrow(RangeError);
  });
});

describe('parseBlockingReload (_HLS_msn / _HLS_part)', () => {
  it.each([
    ['', {}],
    ['_HLS_msn=0', { msn: 0 }],
    ['_HLS_msn=273&_HLS_part=2', { msn: 273, part: 2 }],
    ['_HLS_part=0&_HLS_msn=5', { msn: 5, part: 0 }],
    ['_HLS_msn=007', { msn: 7 }],
    ['_HLS_msn=4294967295&_HLS_part=9999', { msn: 4294967295, part: 9999 }],
    ['_HLS_skip=YES&_HLS_msn=3', { msn: 3 }],
    ['_HLS_part=1', { error: '_HLS_part requires _HLS_msn' }],
    ['_HLS_msn=', { error: '_HLS_msn="" is not a decimal integer' }],
    ['_HLS_msn=-1', { error: '_HLS_msn="-1" is not a decimal integer' }],
    ['_HLS_msn=1.5', { error: '_HLS_msn="1.5" is not a decimal integer' }],
    ['_HLS_msn=+3', { error: '_HLS_msn=" 3" is not a decimal integer' }],
    ['_HLS_msn=0x10', { error: '_HLS_msn="0x10" is not a decimal integer' }],
    ['_HLS_msn=%203', { error: '_HLS_msn=" 3" is not a decimal integer' }],
    ['_HLS_msn=4294967296', { error: '_HLS_msn=4294967296 is above 4294967295' }],
    ['_HLS_msn=99999999999999999999', { error: '_HLS_msn="99999999999999999999" is not a decimal integer' }],
    ['_HLS_msn=1&_HLS_part=10000', { error: '_HLS_part=10000 is above 9999' }],
    ['_HLS_msn=1&_HLS_msn=2', { error: '_HLS_msn is repeated' }],
    ['_HLS_msn=1&_HLS_part=a', { error: '_HLS_part="a" is not a decimal integer' }],
  ])('%s -> %j', (query, expected) => {
    expect(parseBlockingReload(new URLSearchParams(query))).toEqual(expected);
  });
});
