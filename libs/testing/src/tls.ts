/** A self-signed certificate for RTMPS tests and local development (openssl req -x509). */
import { join } from 'node:path';
import { requireBinary } from './binaries';
import { spawnManaged } from './process';

export async function makeSelfSignedCert(dir: string, commonName = 'localhost'): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const openssl = spawnManaged(requireBinary('openssl'), [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30',
    '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName},IP:127.0.0.1`,
    '-keyout', key, '-out', cert,
  ], { name: 'openssl' });
  const exit = await openssl.waitForExit(30_000);
  if (exit.code !== 0) throw new Error(`openssl failed (${exit.code}): ${openssl.output().slice(-1000)}`);
  return { cert, key };
}
