import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ControlPlaneConfig } from '../config';
import { AdminTokenGuard, bearerToken, tokensMatch } from './admin-token.guard';
import { Public } from './public.decorator';
import { CONFIG } from './tokens';

// The guard's comparison is observed through a pass-through mock of timingSafeEqual.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const TOKEN = 'test-admin-token-0123456789';

@Controller('v1/things')
class ProtectedController {
  @Get()
  list(): string[] {
    return [];
  }
}

@Public()
@Controller()
class ProbeController {
  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'ok' };
  }
}

/** An ExecutionContext for `handler` of `controller` with these request headers. */
function contextFor(controller: object, handler: string, headers: Record<string, string | undefined>): ExecutionContext {
  const request = { headers };
  const cls = controller.constructor;
  const fn = (controller as Record<string, unknown>)[handler] as () => unknown;
  return {
    getClass: () => cls,
    getHandler: () => fn,
    getType: () => 'http',
    getArgs: () => [request, {}, () => undefined],
    getArgByIndex: (i: number) => [request, {}, undefined][i],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}), getNext: () => () => undefined }),
    switchToRpc: () => {
      throw new Error('not rpc');
    },
    switchToWs: () => {
      throw new Error('not ws');
    },
  } as unknown as ExecutionContext;
}

async function makeGuard(token = TOKEN): Promise<AdminTokenGuard> {
  const moduleRef = await Test.createTestingModule({
    controllers: [ProtectedController, ProbeController],
    providers: [AdminTokenGuard, { provide: CONFIG, useValue: { adminToken: 'placeholder' } }],
  })
    .overrideProvider(CONFIG)
    .useValue({ adminToken: token } as Partial<ControlPlaneConfig>)
    .compile();
  return moduleRef.get(AdminTokenGuard);
}

function rejection(run: () => unknown): UnauthorizedException {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UnauthorizedException);
    return err as UnauthorizedException;
  }
  throw new Error('expected an UnauthorizedException');
}

describe('AdminTokenGuard', () => {
  let guard: AdminTokenGuard;
  const protectedController = new ProtectedController();
  const probeController = new ProbeController();

  beforeEach(async () => {
    guard = await makeGuard();
  });

  afterEach(() => jest.mocked(timingSafeEqual).mockClear());

  it('lets a request with the right bearer token through', () => {
    expect(guard.canActivate(contextFor(protectedController, 'list', { authorization: `Bearer ${TOKEN}` }))).toBe(true);
    expect(guard.canActivate(contextFor(protectedController, 'list', { authorization: `bearer ${TOKEN}` }))).toBe(true);
  });

  it('answers 401 without an Authorization header', () => {
    const err = rejection(() => guard.canActivate(contextFor(protectedController, 'list', {})));
    expect(err.getStatus()).toBe(401);
    expect(err.message).toMatch(/missing bearer token/i);
  });

  it.each([
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 5)}`],
    ['an empty bearer', 'Bearer '],
    ['another scheme', `Basic ${TOKEN}`],
    ['the token without a scheme', TOKEN],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
  ])('answers 401 for %s, without echoing what was sent', (_what, authorization) => {
    const err = rejection(() => guard.canActivate(contextFor(protectedController, 'list', { authorization })));
    expect(err.getStatus()).toBe(401);
    expect(err.message).toBe('Invalid bearer token');
    expect(JSON.stringify(err.getResponse())).not.toContain(TOKEN.slice(0, 5));
  });

  it('lets @Public() routes through without a token', () => {
    expect(guard.canActivate(contextFor(probeController, 'healthz', {}))).toBe(true);
  });

  it('uses the token from the configuration (overrideProvider)', async () => {
    const other = await makeGuard('another-token');
    expect(other.canActivate(contextFor(protectedController, 'list', { authorization: 'Bearer another-token' }))).toBe(true);
    rejection(() => other.canActivate(contextFor(protectedController, 'list', { authorization: `Bearer ${TOKEN}` })));
  });

  it('refuses to start with an empty token', async () => {
    await expect(makeGuard('')).rejects.toThrow(/empty admin token/);
  });

  it('compares SHA-256 digests with timingSafeEqual, so token lengths never matter to the comparison', () => {
    const spy = jest.mocked(timingSafeEqual);
    spy.mockClear();
    for (const presented of ['x', TOKEN, `${TOKEN}${'y'.repeat(500)}`]) {
      rejectionOrTrue(() => guard.canActivate(contextFor(protectedController, 'list', { authorization: `Bearer ${presented}` })));
    }
    // Also a malformed header is compared (same work as a wrong token).
    rejectionOrTrue(() => guard.canActivate(contextFor(protectedController, 'list', { authorization: 'Basic abc' })));
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});

function rejectionOrTrue(run: () => unknown): void {
  try {
    expect(run()).toBe(true);
  } catch (err) {
    expect(err).toBeInstanceOf(UnauthorizedException);
  }
}

describe('tokensMatch / bearerToken', () => {
  const digest = createHash('sha256').update(TOKEN).digest();

  it('matches only the exact token', () => {
    expect(tokensMatch(TOKEN, digest)).toBe(true);
    expect(tokensMatch(`${TOKEN} `, digest)).toBe(false);
    expect(tokensMatch('', digest)).toBe(false);
    expect(tokensMatch(TOKEN.toUpperCase(), digest)).toBe(false);
  });

  it('extracts the token of a Bearer header', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`BEARER   ${TOKEN}  `)).toBe(TOKEN);
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(['Bearer a', 'Bearer b'])).toBeUndefined();
  });
});
