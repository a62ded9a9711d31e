import { markdownTable } from './report';

describe('markdownTable', () => {
  it('pads columns and right-aligns numeric ones', () => {
    expect(markdownTable(['name', 'MB/s', 'share'], [['a', 12.5, '3%'], ['longer', 1000, '10 %']])).toBe(
      ['| name   | MB/s | share |', '|--------|-----:|------:|', '| a      | 12.5 |    3% |', '| longer | 1000 |  10 % |'].join('\n'),
    );
  });
});
