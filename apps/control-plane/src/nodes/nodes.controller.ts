import { Controller, Get, ParseEnumPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors';
import { NodeDto, NODE_ROLES, type NodeRoleName } from './nodes.dto';
import { NodesService } from './nodes.service';

const ROLE_ENUM = Object.fromEntries(NODE_ROLES.map((r) => [r, r])) as Record<NodeRoleName, NodeRoleName>;

@ApiTags('nodes')
@ApiBearerAuth()
@ApiErrors(401, 503)
@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly nodes: NodesService) {}

  @Get()
  @ApiOperation({ summary: 'Live cluster nodes (edges and origins) with their load, from their heartbeats' })
  @ApiQuery({ name: 'role', required: false, enum: NODE_ROLES })
  @ApiOkResponse({ type: [NodeDto] })
  @ApiErrors(400)
  list(@Query('role', new ParseEnumPipe(ROLE_ENUM, { optional: true })) role?: NodeRoleName): Promise<NodeDto[]> {
    return this.nodes.list(role);
  }
}
