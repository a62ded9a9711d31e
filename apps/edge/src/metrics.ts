import type { Metrics } from '@ingest/telemetry';
import { METRIC, counter, hotCounter, upDownCounter } from '@ingest/telemetry';

/** The edge's instruments, created once per process. */
export function createEdgeInstruments(meter: Metrics['meter']) {
  return {
    connections: upDownCounter(meter, METRIC.rtmpConnections),
    connectionsTotal: counter(meter, METRIC.rtmpConnectionsTotal),
    connectionErrors: counter(meter, METRIC.rtmpConnectionErrorsTotal),
    handshakes: counter(meter, METRIC.handshakesTotal),
    publishStreams: upDownCounter(meter, METRIC.publishStreams),
    // Per read / per message: plain numbers, reported at scrape time (no OpenTelemetry call on the media path).
    bytes: hotCounter(meter, METRIC.ingestBytesTotal),
    videoFrames: hotCounter(meter, METRIC.ingestVideoFramesTotal),
    audioFrames: hotCounter(meter, METRIC.ingestAudioFramesTotal),
    messages: hotCounter(meter, METRIC.chunkStreamMessagesTotal),
    publishRejected: counter(meter, METRIC.publishRejectedTotal),
  };
}

export type EdgeInstruments = ReturnType<typeof createEdgeInstruments>;
