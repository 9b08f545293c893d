/**
 * The closure rows of `fnf start` shared between the main thread and the start lane (a worker
 * thread with its own device, src/cli/start-lane.ts): one counter in shared memory hands out the
 * rows in claim order, so whichever thread is free takes the next; the lane posts each row it
 * evaluates on a MessagePort, and the main thread — which stays synchronous inside the validation
 * — reads them with receiveMessageOnPort, sleeping on a second counter until one is posted.
 * Every row draws from its own named stream and no kernel result depends on the thread count,
 * so the closure is the same, number for number, as when one thread evaluates every row.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { takeClosureRows, type ClosureEvaluation, type ClosureJob, type ClosureSharing } from '../validate/closure.js';

/** Slots of the control words: row claims, rows posted, figure-step claims, evaluations posted (0/1). */
const NEXT = 0;
const POSTED = 1;
const FIGURES = 2;
const EVALUATIONS = 3;
const CONTROL_WORDS = 4;

/** How long the main thread waits for the lane's next row before it gives up (a lane that died). */
const STALL_MS = 15 * 60 * 1000;

/** Lane → main, on the rows port. */
export type RowMessage =
  { kind: 'row'; index: number; evaluation: ClosureEvaluation } | { kind: 'failed'; message: string };

/** Main → lane, on the same port once the closure is complete: every row, for the figures. */
interface EvaluationsMessage {
  kind: 'evaluations';
  evaluations: ClosureEvaluation[];
}

/** The figure steps (validate/pipeline.ts figureSteps) shared by both threads: the next claim number. */
export function figureClaims(control: Int32Array): { claim(): number } {
  return { claim: () => Atomics.add(control, FIGURES, 1) };
}

/** Main: hands the complete closure to the lane (for the figure steps it will take). */
export function postEvaluations(control: Int32Array, port: MessagePort, evaluations: ClosureEvaluation[]): void {
  port.postMessage({ kind: 'evaluations', evaluations } satisfies EvaluationsMessage);
  Atomics.store(control, EVALUATIONS, 1);
  Atomics.notify(control, EVALUATIONS);
}

/**
 * The next message on `port`, sleeping on control[slot] (which the sender bumps after posting) until
 * one is there; after STALL_MS without one, an error saying `silence` (a thread that died).
 */
function nextMessage(control: Int32Array, slot: number, port: MessagePort, silence: string): unknown {
  const started = performance.now();
  for (;;) {
    const seen = Atomics.load(control, slot);
    const got = receiveMessageOnPort(port);
    if (got) return got.message;
    if (performance.now() - started > STALL_MS) throw new Error(`${silence} for ${STALL_MS / 60000} minutes`);
    Atomics.wait(control, slot, seen, 1000);
  }
}

/** Lane: the complete closure from the main thread, waiting for it if it is not there yet. */
export function receiveEvaluations(control: Int32Array, port: MessagePort): ClosureEvaluation[] {
  const m = nextMessage(control, EVALUATIONS, port, 'the main thread sent no closure') as EvaluationsMessage;
  return m.evaluations;
}

export function closureControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT));
}

/** The next claim number (closure.ts maps it to a row; past the last row: none left). */
function claim(control: Int32Array): number {
  return Atomics.add(control, NEXT, 1);
}

/** The main thread's side. */
export class MainClosureRows implements ClosureSharing {
  constructor(
    private readonly control: Int32Array,
    private readonly port: MessagePort,
  ) {}

  claim(): number {
    return claim(this.control);
  }

  receive(): { index: number; evaluation: ClosureEvaluation } {
    const m = nextMessage(this.control, POSTED, this.port, 'closure: the worker thread posted no row') as RowMessage;
    if (m.kind === 'failed') throw new Error(`closure (worker thread): ${m.message}`);
    return { index: m.index, evaluation: m.evaluation };
  }
}

/** The lane's side: takes rows of `jobs` until none is left, evaluating and posting each; returns how many. */
export function laneClosureRows(
  control: Int32Array,
  jobs: readonly ClosureJob[],
  port: MessagePort,
  evaluate: (index: number) => ClosureEvaluation,
): number {
  const post = (m: RowMessage) => {
    port.postMessage(m);
    Atomics.add(control, POSTED, 1);
    Atomics.notify(control, POSTED);
  };
  try {
    return takeClosureRows(jobs, { claim: () => claim(control) }, (i) =>
      post({ kind: 'row', index: i, evaluation: evaluate(i) }),
    );
  } catch (e) {
    post({ kind: 'failed', message: (e as Error).message });
    throw e;
  }
}
