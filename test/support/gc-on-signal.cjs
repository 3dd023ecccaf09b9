// Test-only preload for a spawned service (NODE_OPTIONS=--require, see service.ts): on SIGUSR2 it
// runs a full garbage collection and prints one line on stderr with the memory figures, so the
// load test can compare the service's memory after a run with its baseline at rest. The
// production service never loads this file.
'use strict';
const v8 = require('node:v8');
const vm = require('node:vm');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

process.on('SIGUSR2', () => {
  // Twice: the first pass may only queue finalizers whose memory the second reclaims.
  gc();
  gc();
  const m = process.memoryUsage();
  process.stderr.write(`gc-report ${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`);
});
