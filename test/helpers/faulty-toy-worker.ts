/**
 * A worker for test/fit-toy-pool.test.ts that speaks toy-pool.ts's protocol and fails on purpose:
 * workerData { failAt, how } — at toy `failAt` it reports a failed toy ('report'), throws outside any
 * handler's catch ('throw'), or exits the worker thread ('exit'); other toys answer their index squared.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PoolMessage } from '../../src/fit/toy-pool.js';

const { failAt, how } = workerData as { failAt: number; how: 'report' | 'throw' | 'exit' | 'none' };
const port = parentPort!;
const post = (m: PoolMessage) => port.postMessage(m);
port.on('message', ({ index }: { index: number }) => {
  if (index === failAt && how === 'report') return post({ kind: 'failed', index, message: 'no events drawn' });
  if (index === failAt && how === 'throw') throw new Error('boom');
  if (index === failAt && how === 'exit') process.exit(5);
  post({ kind: 'done', index, result: index * index });
});
post({ kind: 'ready' });
