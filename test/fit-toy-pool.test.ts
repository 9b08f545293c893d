/**
 * The worker pool of `fnf toys --jobs`: every index runs exactly once whatever the number of workers; a
 * worker that reports a failed toy, throws or exits stops the run with an error naming the worker and the
 * toy; an abort stops it too. (That the toys' file equals the single process's is in fit-toy-study.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runInWorkers, ToyWorkerError } from '../src/fit/toy-pool.js';

const workerUrl = new URL('./helpers/faulty-toy-worker.js', import.meta.url);
const indices = [0, 3, 6, 9, 12, 15, 18];

test('every index runs once, results by index, in any number of workers', async () => {
  for (const jobs of [1, 3, 20]) {
    const seen: number[] = [];
    const r = await runInWorkers<number>({
      workerUrl,
      workerData: { failAt: -1, how: 'none' },
      indices,
      jobs,
      onResult: (i) => seen.push(i),
    });
    assert.equal(
      [...r.keys()].sort((a, b) => a - b),
      indices,
    );
    for (const i of indices) assert.is(r.get(i), i * i);
    assert.equal(
      seen.sort((a, b) => a - b),
      indices,
    );
  }
  assert.is((await runInWorkers({ workerUrl, workerData: {}, indices: [], jobs: 2 })).size, 0);
});

for (const [how, reason] of [
  ['report', /no events drawn/],
  ['throw', /boom/],
  ['exit', /exited \(code 5\)/],
] as const) {
  test(`a worker that fails (${how}) stops the run, naming the toy`, async () => {
    try {
      await runInWorkers({ workerUrl, workerData: { failAt: 9, how }, indices, jobs: 2 });
      assert.unreachable('the run should have failed');
    } catch (e) {
      assert.instance(e, ToyWorkerError);
      const err = e as ToyWorkerError;
      assert.is(err.toy, 9);
      assert.match(err.message, /^worker \d failed on toy 9: /);
      assert.match(err.message, reason);
    }
  });
}

test('an abort stops every worker', async () => {
  const stop = new AbortController();
  const run = runInWorkers({
    workerUrl,
    workerData: { failAt: -1, how: 'none' },
    indices,
    jobs: 2,
    onResult: () => stop.abort(),
    signal: stop.signal,
  });
  try {
    await run;
    assert.unreachable('the run should have been aborted');
  } catch (e) {
    assert.is((e as Error).name, 'AbortError');
  }
});

test.run();
