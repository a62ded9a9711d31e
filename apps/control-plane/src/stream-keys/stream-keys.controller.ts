import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { KEY_ID_PATTERN, KeyIdPipe } from '../common/params';
import { CreatedStreamKeyDto, CreateStreamKeyDto, StreamKeyDto } from './stream-keys.dto';
import { StreamKeysService } from './stream-keys.service';

const ID_PARAM = { name: 'id', pattern: KEY_ID_PATTERN.source, example: 'key_V1StGXR8_Z5j' } as const;

@ApiTags('stream-keys')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('v1/stream-keys')
export class StreamKeysController {
  constructor(private readonly keys: StreamKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a stream key', description: 'The secret `key` is in this answer only (and in rotate): store it now.' })
  @ApiBody({ type: CreateStreamKeyDto })
  @ApiCreatedResponse({ type: CreatedStreamKeyDto })
  @ApiErrors(400, 409, 413, 415)
  create(@Body() body: CreateStreamKeyDto): Promise<CreatedStreamKeyDto> {
    return this.keys.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List stream keys (revoked ones included), without secrets' })
  @ApiOkResponse({ type: [StreamKeyDto] })
  list(): Promise<StreamKeyDto[]> {
    return this.keys.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One stream key, without its secret' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: StreamKeyDto })
  @ApiErrors(400, 404)
  get(@Param('id', KeyIdPipe) id: string): Promise<StreamKeyDto> {
    return this.keys.get(id);
  }

  @Post(':id/rotate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Replace the secret', description: 'The old secret is refused from now on; the new one is shown once.' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: CreatedStreamKeyDto })
  @ApiErrors(400, 404, 409)
  rotate(@Param('id', KeyIdPipe) id: string): Promise<CreatedStreamKeyDto> {
    return this.keys.rotate(id);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke a stream key',
    description: 'The key can no longer publish and its name is free for a new key. Idempotent. Live streams are not kicked: use DELETE /v1/streams/{name}.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: StreamKeyDto })
  @ApiErrors(400, 404)
  revoke(@Param('id', KeyIdPipe) id: string): Promise<StreamKeyDto> {
    return this.keys.revoke(id);
  }
}
