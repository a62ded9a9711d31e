import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** The body of every error answer. */
export class ErrorDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must be 1-128 letters, digits, _ or -, starting with a letter or digit'],
    description: 'A message, or one message per problem for validation errors.',
  })
  message!: string | string[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (malformed JSON, wrong types, unknown fields, bad parameters)',
  401: 'Missing or wrong bearer token',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  415: 'Request body is not JSON',
  503: 'Redis or NATS unavailable',
};

/** Documents error answers (JSON ErrorDto) with the given statuses. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorDto })));
}
