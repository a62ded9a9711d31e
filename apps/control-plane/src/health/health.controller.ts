import type { ServerResponse } from 'node:http';
import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/public.decorator';
import { HealthDto, ReadinessDto } from './health.dto';
import { HealthService } from './health.service';

/** Liveness and readiness probes: public (no bearer token), never cached. */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthDto })
  healthz(): HealthDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: Redis answers PING and NATS is connected' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ type: ReadinessDto })
  async readyz(@Res({ passthrough: true }) res: ServerResponse): Promise<ReadinessDto> {
    const { ready, checks } = await this.health.readiness();
    res.statusCode = ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
    return { status: ready ? 'ok' : 'unavailable', checks };
  }
}
