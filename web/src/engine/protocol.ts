/** Messages between the page (main thread) and the engine worker. */
import type { ResidualKind, WebSetup } from './setup.js';
import type { ToyFitRequest, ToyFitResult } from './fit-toy.js';

/** What the controls say. */
export interface ViewState {
  nu: [number, number];
  residual: ResidualKind;
  /** The frozen base flow alone: what ignoring the systematic gives. */
  baseOnly: boolean;
  /** The x at which p(y | x, c, ν) is shown. */
  point: [number, number];
  arrows: boolean;
}

export type ToEngine =
  | { type: 'init'; threads: number }
  | { type: 'kin'; id: number; state: ViewState }
  | { type: 'extra'; id: number; state: ViewState }
  /** Draw a toy at the request's ν and fit it (fit-toy.ts). */
  | { type: 'fit'; id: number; request: ToyFitRequest };

export interface KinResult {
  type: 'kin';
  id: number;
  state: ViewState;
  /** log p on the kin grid, class A then class B ([2, n·n], x fastest). */
  model: Float32Array;
  truth: Float32Array;
  /** log p(x | c, ν) at setup.probePoints, class A then class B. */
  probe: Float32Array;
  ms: number;
}

export interface ExtraResult {
  type: 'extra';
  id: number;
  state: ViewState;
  /** log p(y | x, c, ν) on the score grid, class A then class B. */
  scoreModel: Float32Array;
  scoreTruth: Float32Array;
  /** Δ = R(x; ν) − x at the arrow grid, [2 classes, m·m, 2]; null when arrows are off or base only. */
  arrows: Float32Array | null;
  kl: { kin: number; kinSe: number; score: number; scoreSe: number };
  ms: number;
}

export type FromEngine =
  | { type: 'ready'; setup: WebSetup; build: string; threads: number; isolated: boolean; loadMs: number }
  | KinResult
  | ExtraResult
  /** The extras of request `id` were given up: a newer kin request came in meanwhile. */
  | { type: 'extra-dropped'; id: number }
  | { type: 'fit'; id: number; request: ToyFitRequest; result: ToyFitResult }
  | { type: 'error'; message: string };
