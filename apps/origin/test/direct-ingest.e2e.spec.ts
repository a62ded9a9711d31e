/** Single-process mode: an encoder publishes straight into the origin (no edge, no NATS on the media path). */
import { join } from 'node:path';
import { MessageType } from '@ingest/rtmp';
import { eventually, freePort, makeTempDir, makeTestMedia, requireBinary, RtmpTestClient, spawnManaged, startOrigin, startServices, type ClusterServices, type ManagedProcess, type RunningOrigin } from '@ingest/testing';

jest.setTimeout(60_000);

let services: ClusterServices;
let origin: RunningOrigin;
let ingestPort: number;
let publisher: ManagedProcess;

beforeAll(async () => {
  const media = await makeTestMedia({ file: join(await makeTempDir('direct-'), 'd.flv'), seconds: 10, audio: 'aac', bframes: true, size: '640x360', fps: 30, gop: 30 });
  services = await startServices();
  ingestPort = await freePort();
  origin = await startOrigin(services, 'origin-direct', { ORIGIN_DIRECT_INGEST_PORT: String(ingestPort) });
  publisher = spawnManaged(requireBinary('ffmpeg'), ['-hide_banner', '-loglevel', 'error', '-re', '-i', media, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${ingestPort}/live/direct`], { name: 'publisher' });
});

afterAll(async () => {
  await publisher?.kill('SIGKILL');
  await origin?.stop();
  await services?.stop();
});

test('a direct publisher plays over RTMP and HTTP-FLV from the same process, starting at a keyframe', async () => {
  const viewer = new RtmpTestClient({ port: origin.rtmpPort });
  await eventually(async () => {
    const v = new RtmpTestClient({ port: origin.rtmpPort });
    const { status } = await v.play('direct');
    v.close();
    return status.info.code === 'NetStream.Play.Start';
  }, 10_000, 'the direct stream');
  await viewer.play('direct');
  await eventually(async () => viewer.media.filter((m) => m.type === MessageType.Video).length > 60, 10_000, 'video');
  const firstCoded = viewer.media.find((m) => m.type === MessageType.Video && m.payload[1] === 1)!;
  expect(firstCoded.payload[0] >> 4).toBe(1);
  expect(viewer.media.some((m) => m.type === MessageType.DataAmf0)).toBe(true);
  viewer.close();
  const res = await fetch(origin.flvUrl('direct'));
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  expect(Buffer.from(value!).subarray(0, 3).toString()).toBe('FLV');
  await reader.cancel();
  expect(origin.logs().some((l) => l.msg === 'subscribed')).toBe(false); // nothing went through the relay
});
