import type { ServerResponse } from 'node:http';
import { Controller, Delete, Get, HttpStatus, Param, ParseBoolPipe, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { STREAM_NAME_PATTERN } from '@ingest/relay';
import { ApiErrors } from '../common/api-errors';
import { StreamNamePipe } from '../common/params';
import { KickResultDto, StreamDto } from './streams.dto';
import { StreamsService } from './streams.service';

const NAME_PARAM = { name: 'name', pattern: STREAM_NAME_PATTERN.source, example: 'my-show' } as const;

@ApiTags('streams')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('v1/streams')
export class StreamsController {
  constructor(private readonly streams: StreamsService) {}

  @Get()
  @ApiOperation({ summary: 'Live streams, with codecs, bitrate, fps, edge, viewers and uptime' })
  @ApiOkResponse({ type: [StreamDto] })
  list(): Promise<StreamDto[]> {
    return this.streams.list();
  }

  @Get(':name')
  @ApiOperation({ summary: 'One live stream' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: StreamDto })
  @ApiErrors(400, 404)
  get(@Param('name', StreamNamePipe) name: string): Promise<StreamDto> {
    return this.streams.get(name);
  }

  @Delete(':name')
  @ApiOperation({
    summary: 'Kick a live stream',
    description:
      'The edge holding the stream closes its publisher. 200 when the edge confirmed within 1 s, 202 when the kick was sent ' +
      'but no edge confirmed it. With revoke=true the stream key is revoked first, so the encoder cannot reconnect.',
  })
  @ApiParam(NAME_PARAM)
  @ApiQuery({ name: 'revoke', required: false, type: Boolean, description: "Also revoke the stream's key (default false)" })
  @ApiOkResponse({ type: KickResultDto, description: 'Kicked: the edge confirmed' })
  @ApiAcceptedResponse({ type: KickResultDto, description: 'Kick sent, not confirmed by an edge' })
  @ApiErrors(400, 404)
  async kick(
    @Param('name', StreamNamePipe) name: string,
    @Query('revoke', new ParseBoolPipe({ optional: true })) revoke: boolean | undefined,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<KickResultDto> {
    const result = await this.streams.kick(name, revoke === true);
    res.statusCode = result.kicked ? HttpStatus.OK : HttpStatus.ACCEPTED;
    return result;
  }
}
