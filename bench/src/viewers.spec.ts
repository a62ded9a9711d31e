import { wsFrameHeaderBytes } from './viewers';

describe('wsFrameHeaderBytes', () => {
  it('is what a server puts in front of an unmasked frame: 2 bytes, +2 from 126, +8 from 65536', () => {
    expect([0, 125, 126, 65535, 65536, 1 << 20].map(wsFrameHeaderBytes)).toEqual([2, 2, 4, 4, 10, 10]);
  });
});
