import { BadRequestException } from '@nestjs/common';
import { createValidationPipe } from '../app.module';
import { CreateStreamKeyDto } from './stream-keys.dto';

const pipe = createValidationPipe();

async function validate(body: unknown): Promise<{ ok: true; value: CreateStreamKeyDto } | { ok: false; messages: string[] }> {
  try {
    return { ok: true, value: (await pipe.transform(body, { type: 'body', metatype: CreateStreamKeyDto })) as CreateStreamKeyDto };
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    return { ok: false, messages: ((err as BadRequestException).getResponse() as { message: string[] }).message };
  }
}

describe('CreateStreamKeyDto validation', () => {
  it.each([
    { name: 'my-show' },
    { name: 'A', policy: {} },
    { name: 'x'.repeat(128) },
    {
      name: 'show_1',
      policy: {
        allowedCidrs: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
        maxBitrateKbps: 1_000_000,
        allowedCodecs: ['h264', 'aac'],
        duplicatePolicy: 'takeover',
        expiresAt: '2030-01-01T00:00:00Z',
      },
    },
    { name: 'n', policy: { maxBitrateKbps: null, expiresAt: null } },
  ])('accepts %j', async (body) => {
    const result = await validate(body);
    expect(result.ok).toBe(true);
  });

  it.each([
    ['no name', {}],
    ['a name that is not a string', { name: 42 }],
    ['a name with a space', { name: 'my show' }],
    ['a name with a dot (a NATS subject separator)', { name: 'my.show' }],
    ['a name starting with -', { name: '-show' }],
    ['a name of 129 characters', { name: 'x'.repeat(129) }],
    ['an unknown field', { name: 'a', extra: true }],
    ['an unknown policy field', { name: 'a', policy: { foo: 1 } }],
    ['a policy that is not an object', { name: 'a', policy: 'open' }],
    ['a policy that is an array', { name: 'a', policy: [] }],
    ['a null policy', { name: 'a', policy: null }],
    ['allowedCidrs not an array', { name: 'a', policy: { allowedCidrs: '10.0.0.0/8' } }],
    ['null allowedCidrs', { name: 'a', policy: { allowedCidrs: null } }],
    ['a bad CIDR', { name: 'a', policy: { allowedCidrs: ['10.0.0.0/33'] } }],
    ['65 CIDRs', { name: 'a', policy: { allowedCidrs: Array.from({ length: 65 }, (_, i) => `10.0.${i}.0/24`) } }],
    ['a bitrate of 0', { name: 'a', policy: { maxBitrateKbps: 0 } }],
    ['a bitrate above 1e6', { name: 'a', policy: { maxBitrateKbps: 1_000_001 } }],
    ['a bitrate as a string', { name: 'a', policy: { maxBitrateKbps: '5000' } }],
    ['an unknown codec', { name: 'a', policy: { allowedCodecs: ['h263'] } }],
    ['an unknown duplicate policy', { name: 'a', policy: { duplicatePolicy: 'replace' } }],
    ['a date that is not ISO 8601', { name: 'a', policy: { expiresAt: 'tomorrow' } }],
  ])('refuses %s', async (_what, body) => {
    const result = await validate(body);
    expect(result.ok).toBe(false);
  });

  it('gives one message per bad field, prefixed with the nested path, without the values', async () => {
    const result = await validate({ name: 'a b', policy: { allowedCidrs: 'x', maxBitrateKbps: 'sk_secret' } });
    expect(result).toEqual({
      ok: false,
      messages: ['name must be 1-128 letters, digits, _ or -, starting with a letter or digit', 'policy.allowedCidrs must be an array', 'policy.maxBitrateKbps must be an integer number'],
    });
  });
});
