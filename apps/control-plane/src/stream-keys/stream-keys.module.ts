import { Module } from '@nestjs/common';
import { StreamKeysController } from './stream-keys.controller';
import { StreamKeysService } from './stream-keys.service';

@Module({ controllers: [StreamKeysController], providers: [StreamKeysService], exports: [StreamKeysService] })
export class StreamKeysModule {}
