import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ControlPlaneConfig } from '../config';
import { IS_PUBLIC } from './public.decorator';
import { CONFIG } from './tokens';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * True when `presented` equals `expected`, in time independent of where they differ and of their lengths: both are
 * hashed to 32 bytes first, then compared with crypto.timingSafeEqual.
 */
export function tokensMatch(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Checks `Authorization` headers against the admin token (only its SHA-256 digest is kept). Throws a 401
 * UnauthorizedException whose message never echoes what was sent.
 */
export class AdminTokenVerifier {
  private readonly expected: Buffer;

  constructor(adminToken: string) {
    if (typeof adminToken !== 'string' || adminToken === '') throw new Error('AdminTokenGuard: empty admin token');
    this.expected = sha256(adminToken);
  }

  verify(header: string | string[] | undefined): void {
    if (header === undefined || header === '') throw new UnauthorizedException('Missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>');
    const token = bearerToken(header);
    // Compare even a malformed header, so the answer takes the same time.
    const ok = tokensMatch(token ?? String(header), this.expected);
    if (token === undefined || !ok) throw new UnauthorizedException('Invalid bearer token');
  }
}

/**
 * Global guard: every route needs `Authorization: Bearer <ADMIN_TOKEN>` unless it is marked @Public() (health
 * probes). Answers 401 otherwise. Neither the header nor the token is ever logged or echoed.
 * (createApp also checks the token in a middleware on /v1, before the body is read, so an unauthenticated client
 * gets 401 rather than 400/413/415, and no body of theirs is parsed; this guard stays as the rule for every route.)
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly verifier: AdminTokenVerifier;

  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) config: ControlPlaneConfig,
  ) {
    this.verifier = new AdminTokenVerifier(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    this.verifier.verify(context.switchToHttp().getRequest<IncomingMessage>().headers.authorization);
    return true;
  }
}
