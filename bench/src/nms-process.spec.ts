import { nmsProblemLines, nmsVersion } from './nms-process';

describe('nmsProblemLines', () => {
  it("keeps NMS's WARN and ERROR lines and anything that is not one of its log lines", () => {
    const output = [
      '[11/21/2026, 7:16:16 PM] [INFO] Node-Media-Server v4.4.3',
      'nms ready {"version":"4.4.3"}',
      '[11/21/2026, 7:16:17 PM] [WARN] History server disabled: store is not available',
      '[11/21/2026, 7:16:18 PM] [DEBUG] something',
      '',
      '[11/21/2026, 7:16:19 PM] [ERROR] RTMP session abc play /live/x error',
      'TypeError: boom',
      '    at x (y.js:1:1)',
    ].join('\n');
    expect(nmsProblemLines(output)).toEqual([
      '[11/21/2026, 7:16:17 PM] [WARN] History server disabled: store is not available',
      '[11/21/2026, 7:16:19 PM] [ERROR] RTMP session abc play /live/x error',
      'TypeError: boom',
      '    at x (y.js:1:1)',
    ]);
  });
});

describe('nmsVersion', () => {
  it('is the pinned devDependency of the bench', () => {
    expect(nmsVersion()).toBe('4.4.3');
  });
});
