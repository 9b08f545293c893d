/**
 * What `fnf start` relies on to go faster without changing a byte: closure rows shared between
 * two threads (any split, any thread count) give the report of one thread; the row plumbing
 * between the threads delivers every row and reports a failure; figures whose PNG is compressed
 * off the main thread are the same files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { REPO } from './helpers/shared.js';
import { createDevice } from '../src/backend/index.js';
import { loadConfig } from '../src/config/load.js';
import {
  closureClaimOrder,
  closureJobs,
  computeClosure,
  evaluateClosureJob,
  type ClosureEvaluation,
  type ClosureSharing,
} from '../src/validate/closure.js';
import {
  closureSetup,
  figureSteps,
  loadClosureModels,
  runValidation,
  validationContext,
} from '../src/validate/pipeline.js';
import { FigureSink } from '../src/validate/style.js';
import { Streams } from '../src/validate/sampling.js';
import { closureControl, laneClosureRows, MainClosureRows } from '../src/cli/closure-sharing.js';
import { DeferredSaves, Figure, linspace } from '../src/plot/index.js';

const base = loadConfig(join(REPO, 'configs/base_flows.yaml'), 'base');
const sys = loadConfig(join(REPO, 'configs/systematics.yaml'), 'systematics');
const N = 1500;
const SEED = 77;

test('closure rows: claim order puts the costly rows first and lists every row once', async () => {
  const dev = await createDevice({ backend: 'ts' });
  const jobs = closureJobs(loadClosureModels(dev, base, sys), closureSetup(base, sys));
  assert.is(jobs.length, 22);
  const order = closureClaimOrder(jobs);
  assert.equal(
    [...order].sort((a, b) => a - b),
    jobs.map((_, i) => i),
  );
  assert.is(jobs[order[0]].model, 'score_residual');
  assert.is(jobs[order.at(-1)!].model, 'kin_base');
  assert.equal(new Set(jobs.map((j) => j.stream)).size, jobs.length, 'one stream per row');
});

test('closure shared with another device (1 thread) equals the closure on one device (2 threads)', async () => {
  const one = await createDevice({ backend: 'wasm', threads: 2 });
  const other = await createDevice({ backend: 'wasm', threads: 1 });
  const setup = { ...closureSetup(base, sys), n: N };
  const alone = computeClosure(loadClosureModels(one, base, sys), { ...setup, streams: new Streams(SEED) });

  // The peer takes every second claim as it comes and evaluates it on its own device and models.
  const peerModels = loadClosureModels(other, base, sys);
  const peerJobs = closureJobs(peerModels, setup);
  const peerOrder = closureClaimOrder(peerJobs);
  const peerStreams = new Streams(SEED);
  const inbox: { index: number; evaluation: ClosureEvaluation }[] = [];
  let next = 0;
  const sharing: ClosureSharing = {
    claim() {
      for (;;) {
        const k = next++;
        if (k % 2 === 0 || k >= peerOrder.length) return k;
        const index = peerOrder[k];
        inbox.push({ index, evaluation: evaluateClosureJob(peerModels, peerJobs[index], N, peerStreams) });
      }
    },
    receive() {
      const m = inbox.shift();
      if (!m) throw new Error('the test peer has no row left to send');
      return m;
    },
  };
  const rowsSeen: string[] = [];
  const shared = computeClosure(
    loadClosureModels(one, base, sys),
    { ...setup, streams: new Streams(SEED), onRow: (ev) => rowsSeen.push(ev.row.model) },
    sharing,
  );
  assert.is(JSON.stringify(shared.report), JSON.stringify(alone.report));
  assert.equal(
    rowsSeen,
    alone.report.rows.map((r) => r.model),
    'rows are reported in report order',
  );
  shared.evaluations.forEach((ev, i) => {
    assert.equal(ev.logModel, alone.evaluations[i].logModel);
    assert.equal(ev.truth.x, alone.evaluations[i].truth.x);
  });
});

test('closure-sharing: the lane posts the rows it takes, the main side receives them; a failure is reported', () => {
  const jobs = closureJobs(
    { kinBase: {} as never, scoreBase: {} as never },
    { nominal: base.generator }, // no residual models: the two base rows
  );
  const fake = (index: number) => ({ row: { model: jobs[index].model } }) as unknown as ClosureEvaluation;
  {
    const control = closureControl();
    const { port1, port2 } = new MessageChannel();
    const main = new MainClosureRows(control, port1);
    assert.is(main.claim(), 0); // the main thread takes the first claim, the lane the rest
    const taken = laneClosureRows(control, jobs, port2, fake);
    assert.is(taken, 1);
    assert.ok(main.claim() >= jobs.length, 'nothing left to claim');
    const got = main.receive();
    assert.is(got.index, closureClaimOrder(jobs)[1]);
    assert.is(got.evaluation.row.model, jobs[got.index].model);
    port1.close();
  }
  {
    const control = closureControl();
    const { port1, port2 } = new MessageChannel();
    const main = new MainClosureRows(control, port1);
    assert.throws(
      () =>
        laneClosureRows(control, jobs, port2, () => {
          throw new Error('out of memory in the test');
        }),
      /out of memory in the test/,
    );
    assert.throws(() => main.receive(), /closure \(worker thread\): out of memory in the test/);
    port1.close();
  }
});

test('validation figures split between two threads (devices of 1 and 2 threads) are the same files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-figsplit-'));
  try {
    const two = await createDevice({ backend: 'wasm', threads: 2 });
    const one = await createDevice({ backend: 'wasm', threads: 1 });
    const o = { base, sys, n: N, seed: SEED, quick: true };
    const alone = runValidation(two, { ...o, outDir: join(dir, 'alone') });
    // This thread draws the even steps; the "other thread" (its own device and models) the odd ones.
    let next = 0;
    let evaluations: ClosureEvaluation[] = [];
    const split = runValidation(two, {
      ...o,
      outDir: join(dir, 'split'),
      onClosure: (_r, ev) => (evaluations = ev),
      figureSharing: { claim: () => ((next += 2), next - 2) },
    });
    const sink = new FigureSink(join(dir, 'split'));
    const ctx = validationContext(o, loadClosureModels(one, base, sys), new Streams(SEED), evaluations, sink);
    const steps = figureSteps(ctx);
    assert.is(steps.length, 21); // 23 figures: each scan step draws two
    steps.forEach((step, k) => k % 2 === 1 && step.draw(ctx));
    assert.is(split.files.length + sink.written.length, alone.files.length);
    const names = readdirSync(join(dir, 'alone')).sort();
    assert.equal(readdirSync(join(dir, 'split')).sort(), names);
    for (const f of names)
      assert.ok(readFileSync(join(dir, 'alone', f)).equals(readFileSync(join(dir, 'split', f))), `${f} identical`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function demoFigure(): Figure {
  const fig = new Figure({ width: 420, height: 300, suptitle: 'deferred ν = (1, 0)' });
  const x = linspace(0, 6, 50);
  fig.panel(0, 0, { title: 'sin', xLabel: 'x' }).line(
    x,
    x.map((v) => Math.sin(v)),
    { color: '#1f77b4' },
  );
  return fig;
}

test('DeferredSaves: the same bytes as savePng, written when settled; a failure names the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnf-saves-'));
  try {
    const now = demoFigure().savePng(join(dir, 'now.png'));
    const saves = new DeferredSaves();
    const later = saves.save(demoFigure(), join(dir, 'later.png'));
    assert.is(later, join(dir, 'later.png'));
    assert.equal(await saves.settle(), [later]);
    assert.ok(readFileSync(now).equals(readFileSync(later)), 'identical PNG bytes');

    // A folder that cannot be made (a file is in the way): settle rejects, naming the path.
    writeFileSync(join(dir, 'blocker'), 'x');
    const bad = join(dir, 'blocker', 'fig.png');
    saves.save(demoFigure(), bad);
    saves.save(demoFigure(), join(dir, 'fine.png'));
    await saves.settle().then(
      () => assert.unreachable('settle should reject'),
      (e: Error) => assert.match(e.message, bad),
    );
    assert.ok(existsSync(join(dir, 'fine.png')), 'the other figure is still written');
    assert.equal(
      readdirSync(dir).filter((f) => f.includes('.tmp-')),
      [],
      'no temporary files left',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
