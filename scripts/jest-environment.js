// The workspace's jest environment: Node's, plus a last clean-up when a test file is done. Every process a test
// starts through @ingest/testing (spawnManaged: redis-server, nats-server, the apps, ffmpeg, ...) is listed by pid on
// the file's global object while it runs; whatever a file left running (typically because its set-up failed half-way,
// so its afterAll had nothing to stop) is killed here, with a line saying so, before the next file starts.
'use strict';
const { TestEnvironment } = require('jest-environment-node');

class IngestTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async teardown() {
    // A Map of the test file's realm (not this module's): checked by shape, not with instanceof.
    const pids = this.global.__ingestManagedPids;
    if (pids && typeof pids.keys === 'function' && pids.size > 0) {
      const left = [...pids].map(([pid, name]) => `${name} (pid ${pid})`);
      for (const pid of pids.keys()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      pids.clear();
      this.report(`[test] ${this.testPath}: killed ${left.length} process(es) the file left running: ${left.join(', ')}\n`);
    }
    await super.teardown();
  }

  report(line) {
    process.stderr.write(line);
  }
}

module.exports = IngestTestEnvironment;
