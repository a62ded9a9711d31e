import * as amf from './index';

describe('@ingest/amf public API', () => {
  it('exports the codec functions, classes and limits', () => {
    expect(Object.keys(amf).sort()).toEqual(
      [
        'AMF0_MARKER',
        'AMF3_MARKER',
        'AmfAvmPlus',
        'AmfEcmaArray',
        'AmfError',
        'AmfTypedObject',
        'AmfVector',
        'AmfXmlDocument',
        'DEFAULT_AMF_LIMITS',
        'decodeAmf0',
        'decodeAmf0Sequence',
        'decodeAmf3',
        'encodeAmf0',
        'encodeAmf3',
        'isAmfError',
        'resolveAmfLimits',
      ].sort(),
    );
  });

  it('has RTMP-sized default limits that cannot be changed by accident', () => {
    expect(amf.DEFAULT_AMF_LIMITS).toEqual({
      maxDepth: 32,
      maxElements: 4096,
      maxTotalElements: 65536,
      maxStringLength: 1024 * 1024,
      maxByteArrayLength: 1024 * 1024,
    });
    expect(Object.isFrozen(amf.DEFAULT_AMF_LIMITS)).toBe(true);
    expect(amf.resolveAmfLimits({ maxDepth: 4 })).toEqual({ ...amf.DEFAULT_AMF_LIMITS, maxDepth: 4 });
    expect(amf.resolveAmfLimits({ maxDepth: undefined })).toEqual(amf.DEFAULT_AMF_LIMITS);
  });

  it('AmfError carries a code, an offset and an optional cause', () => {
    const cause = new Error('inner');
    const err = new amf.AmfError('AMF_INVALID', 'bad', { cause, offset: 3 });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AmfError');
    expect(err.code).toBe('AMF_INVALID');
    expect(err.offset).toBe(3);
    expect(err.cause).toBe(cause);
    expect(new amf.AmfError('AMF_TRUNCATED', 'x').cause).toBeUndefined();
    expect(amf.isAmfError(err)).toBe(true);
    expect(amf.isAmfError(err, 'AMF_INVALID')).toBe(true);
    expect(amf.isAmfError(err, 'AMF_TRUNCATED')).toBe(false);
    expect(amf.isAmfError(cause)).toBe(false);
  });
});
