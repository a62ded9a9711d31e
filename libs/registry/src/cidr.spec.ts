import { BlockList } from 'node:net';
import fc from 'fast-check';
import { cidrContains, parseCidr } from './cidr';
import { RegistryError } from './connection';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', 4, 0x0a00_0000n, 8],
    ['127.0.0.1/32', 4, 0x7f00_0001n, 32],
    ['0.0.0.0/0', 4, 0n, 0],
    ['10.1.2.3/8', 4, 0x0a00_0000n, 8], // host bits are cleared
    ['192.0.2.7', 4, 0xc000_0207n, 32], // bare address = one host
    [' 172.16.0.0/12 ', 4, 0xac10_0000n, 12],
    ['::1/128', 6, 1n, 128],
    ['::/0', 6, 0n, 0],
    ['2001:db8::/32', 6, 0x2001_0db8n << 96n, 32],
    ['2001:DB8:0:0:0:0:0:1/128', 6, (0x2001_0db8n << 96n) | 1n, 128],
    ['fe80::/10', 6, 0xfe80n << 112n, 10],
    ['::ffff:10.0.0.0/104', 6, (0xffffn << 32n) | 0x0a00_0000n, 104],
    ['0:0:0:0:0:ffff:127.0.0.1', 6, (0xffffn << 32n) | 0x7f00_0001n, 128],
    ['1:2:3:4:5:6:7::/128', 6, 0x0001_0002_0003_0004_0005_0006_0007_0000n, 128],
    ['::2:3:4:5:6:7:8/128', 6, 0x0000_0002_0003_0004_0005_0006_0007_0008n, 128],
  ])('%s', (text, family, network, prefixLength) => {
    expect(parseCidr(text)).toEqual({ family, network, prefixLength });
  });

  it.each([
    '',
    '/8',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    '10.0.0.0/8/8',
    '10.0.0/8',
    '10.0.0.0.0/8',
    '256.0.0.0/8',
    '01.0.0.0/8',
    '10.0.0.x/8',
    'localhost',
    '::1/129',
    '1::2::3/64',
    ':::/0',
    '12345::/16',
    'g::/16',
    '1:2:3:4:5:6:7:8:9/128',
    '1:2:3:4:5:6:7/128',
    '1:2:3:4:5:6:7:8::/128',
    '1.2.3.4::/128',
    'fe80::1%eth0/64',
    '[::1]/128',
  ])('rejects %j with REGISTRY_INVALID', (text) => {
    let error: unknown;
    try {
      parseCidr(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('REGISTRY_INVALID');
  });

  it('rejects non-strings', () => {
    expect(() => parseCidr(undefined as unknown as string)).toThrow(RegistryError);
    expect(() => parseCidr(42 as unknown as string)).toThrow(RegistryError);
  });
});

describe('cidrContains', () => {
  it.each([
    // IPv4
    ['10.0.0.0/8', '10.0.0.1', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['192.168.1.0/24', '192.168.1.200', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    // IPv4-mapped IPv6 addresses against IPv4 networks
    ['127.0.0.1/32', '::ffff:127.0.0.1', true],
    ['127.0.0.0/8', '::FFFF:127.1.2.3', true],
    ['10.0.0.0/8', '::ffff:a00:1', true],
    ['10.0.0.0/8', '::ffff:127.0.0.1', false],
    ['127.0.0.1/32', '0:0:0:0:0:ffff:7f00:1', true],
    ['0.0.0.0/0', '::ffff:1.2.3.4', true],
    ['0.0.0.0/0', '::1', false], // not IPv4-mapped
    ['127.0.0.1/32', '::127.0.0.1', false], // IPv4-compatible (deprecated), not mapped
    ['127.0.0.1/32', '64:ff9b::7f00:1', false], // NAT64, not mapped
    // IPv6
    ['::1/128', '::1', true],
    ['::1/128', '0:0:0:0:0:0:0:1', true],
    ['::1/128', '::2', false],
    ['::1/128', '127.0.0.1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['fe80::/10', 'fe80::1%eth0', true], // zone ignored
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::/0', '2001:db8::1', true],
    ['2001:db8::/32', '[2001:db8::1]', true],
    // IPv4 addresses against IPv4-mapped IPv6 networks
    ['::ffff:127.0.0.0/104', '127.0.0.1', true],
    ['::ffff:127.0.0.0/104', '10.0.0.1', false],
    ['::ffff:0:0/96', '192.0.2.1', true],
    ['::/0', '192.0.2.1', true],
    // not addresses
    ['0.0.0.0/0', '', false],
    ['0.0.0.0/0', 'localhost', false],
    ['0.0.0.0/0', '1.2.3.4:5678', false],
    ['::/0', 'unknown', false],
    ['::/0', '::1::2', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(cidrContains(parseCidr(cidr), address)).toBe(expected);
    expect(cidrContains(cidr, address)).toBe(expected);
  });

  it('is false for a non-string address and throws for an invalid CIDR text', () => {
    expect(cidrContains('0.0.0.0/0', undefined as unknown as string)).toBe(false);
    expect(() => cidrContains('nonsense', '127.0.0.1')).toThrow(RegistryError);
  });
});

describe('cidrContains agrees with node:net BlockList', () => {
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
  const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((groups) => groups.map((g) => g.toString(16)).join(':'));

  it('for IPv4', () => {
    fc.assert(
      fc.property(ipv4, fc.nat(32), ipv4, fc.boolean(), (network, prefix, address, near) => {
        // Half of the time probe an address that shares the network's first octets, so both outcomes occur.
        const probe = near ? `${network.split('.').slice(0, 2).join('.')}.${address.split('.').slice(2).join('.')}` : address;
        const list = new BlockList();
        list.addSubnet(network, prefix, 'ipv4');
        expect(cidrContains(`${network}/${prefix}`, probe)).toBe(list.check(probe, 'ipv4'));
      }),
      { numRuns: 2000 },
    );
  });

  it('for IPv6', () => {
    fc.assert(
      fc.property(ipv6, fc.nat(128), ipv6, fc.boolean(), (network, prefix, address, near) => {
        const probe = near ? `${network.split(':').slice(0, 4).join(':')}:${address.split(':').slice(4).join(':')}` : address;
        const list = new BlockList();
        list.addSubnet(network, prefix, 'ipv6');
        expect(cidrContains(`${network}/${prefix}`, probe)).toBe(list.check(probe, 'ipv6'));
      }),
      { numRuns: 2000 },
    );
  });
});
