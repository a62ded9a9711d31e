import { Module, type DynamicModule } from '@nestjs/common';
import { NoopStreamEventsPublisher, STREAM_EVENTS, type StreamEventsPublisher } from './stream-events';
import { StreamsController } from './streams.controller';
import { StreamsService } from './streams.service';

@Module({})
export class StreamsModule {
  /** `events`: where stream events go (default: nowhere). */
  static register(events?: StreamEventsPublisher): DynamicModule {
    return {
      module: StreamsModule,
      controllers: [StreamsController],
      providers: [StreamsService, { provide: STREAM_EVENTS, useValue: events ?? new NoopStreamEventsPublisher() }],
      exports: [StreamsService, STREAM_EVENTS],
    };
  }
}
