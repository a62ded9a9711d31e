import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { STREAM_NAME_PATTERN } from '@ingest/relay';

/** Stream key ids as StreamKeyStore makes them. */
export const KEY_ID_PATTERN = /^key_[A-Za-z0-9_-]{1,64}$/;

/** A route parameter that must match a pattern; 400 (without echoing the value) otherwise. */
class PatternPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly pattern: RegExp,
    private readonly message: string,
  ) {}

  transform(value: unknown): string {
    if (typeof value !== 'string' || !this.pattern.test(value)) throw new BadRequestException(this.message);
    return value;
  }
}

/** `:id` of a stream key: `key_` then 1-64 of [A-Za-z0-9_-]. */
@Injectable()
export class KeyIdPipe extends PatternPipe {
  constructor() {
    super(KEY_ID_PATTERN, 'id must be a stream key id (key_ followed by 1-64 letters, digits, _ or -)');
  }
}

/** `:name` of a stream: a public stream name (STREAM_NAME_PATTERN). */
@Injectable()
export class StreamNamePipe extends PatternPipe {
  constructor() {
    super(STREAM_NAME_PATTERN, 'name must be a stream name (1-128 letters, digits, _ or -, starting with a letter or digit)');
  }
}
