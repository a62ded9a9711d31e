import type { Metrics } from '@ingest/telemetry';
import { METRIC, counter, upDownCounter } from '@ingest/telemetry';

/** The edge's instruments, created once per process. */
export function createEdgeInstruments(meter: Metrics['meter']) {
  return {
    connections: upDownCounter(meter, METRIC.rtmpConnections),
    connectionsTotal: counter(meter, METRIC.rtmpConnectionsTotal),
    connectionErrors: counter(meter, METRIC.rtmpConnectionErrorsTotal),
    handshakes: counter(meter, METRIC.handshakesTotal),
    publishStreams: upDownCounter(meter, METRIC.publishStreams),
    bytes: counter(meter, METRIC.ingestBytesTotal),
    videoFrames: counter(meter, METRIC.ingestVideoFramesTotal),
    audioFrames: counter(meter, METRIC.ingestAudioFramesTotal),
    messages: counter(meter, METRIC.chunkStreamMessagesTotal),
    publishRejected: counter(meter, METRIC.publishRejectedTotal),
  };
}

export type EdgeInstruments = ReturnType<typeof createEdgeInstruments>;
