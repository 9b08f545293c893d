/**
 * The engine worker: owns the wasm device and the models, answers the page's requests
 * (protocol.ts). A worker, not the page's main thread, because a kernel pool's caller blocks
 * in Atomics.wait (not allowed on the main thread) and so the page stays responsive.
 * The extras (score panel, arrows, KL) run in steps of a few milliseconds with a task boundary
 * between them, so a slider move that arrives meanwhile is served at the next boundary.
 */
import type { Device } from '../../../src/backend/device.js';
import { fetchBytes, createBrowserDevice } from '../../../src/backend/wasm/browser/device.js';
import { safetensorsCheckpoint } from '../../../src/io/checkpoint-codec.js';
import { residualFromCheckpoint } from '../../../src/models/from-checkpoint.js';
import type { FromEngine, ToEngine, ViewState } from './protocol.js';
import { Scene } from './scene.js';
import { checkSetup, type WebSetup } from './setup.js';

const base = new URL('./', self.location.href);
const url = (path: string) => new URL(path, base).href;
let scene: Scene | null = null;

function reply(msg: FromEngine): void {
  const buffers: ArrayBuffer[] = [];
  for (const v of Object.values(msg)) if (v instanceof Float32Array) buffers.push(v.buffer as ArrayBuffer);
  self.postMessage(msg, { transfer: buffers });
}

/** The page's setup (build.ts writes it): a missing or broken file is named, with its HTTP status. */
async function fetchSetup(): Promise<WebSetup> {
  const at = url('setup.json');
  const text = new TextDecoder().decode(await fetchBytes(at));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${at}: not the page's JSON setup (${(e as Error).message})`);
  }
  return checkSetup(value, at);
}

async function init(threads: number): Promise<void> {
  const t0 = performance.now();
  const setup = await fetchSetup();
  const isolated = self.crossOriginIsolated === true;
  const dev: Device = await createBrowserDevice({
    wasmUrl: (b) => url(`kernels-${b}.wasm`),
    poolWorkerUrl: url('pool-worker.js'),
    threads: isolated ? threads : 1,
  });
  // our safetensors files only: the page bundles no .pt reader (pickle VM, zip)
  const load = async (name: string) =>
    safetensorsCheckpoint(new Uint8Array(await fetchBytes(url(`models/${name}`))), name);
  const m = setup.models;
  const [ka, kc, sa, sc] = await Promise.all([m.kin.additive, m.kin.cross, m.score.additive, m.score.cross].map(load));
  const kin = { additive: residualFromCheckpoint(dev, ka), cross: residualFromCheckpoint(dev, kc) };
  const score = {
    additive: residualFromCheckpoint(dev, sa),
    cross: residualFromCheckpoint(dev, sc),
  };
  // The additive model's frozen base is the base flow (the cross-term model sits on the same one).
  scene = new Scene(setup, { kinBase: kin.additive.base, scoreBase: score.additive.base, kin, score });
  const k = dev.kernels as { build?: string; threads?: number };
  reply({
    type: 'ready',
    setup,
    build: k.build ?? 'unknown',
    threads: k.threads ?? 1,
    isolated,
    loadMs: performance.now() - t0,
  });
}

/** The id of the newest kin request taken: extras for an older one are dropped. */
let newestKin = 0;

/** A task boundary: a message already queued (a newer slider move) is handled before this resolves. */
function pause(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** The extras step by step, letting kin requests in between; dropped once a newer move came. */
async function extra(s: Scene, id: number, state: ViewState): Promise<void> {
  const steps = s.extraSteps(id, state);
  for (;;) {
    const r = steps.next();
    if (r.done) return reply(r.value);
    await pause();
    if (newestKin > id) return reply({ type: 'extra-dropped', id });
  }
}

self.onmessage = async (e: MessageEvent<ToEngine>) => {
  const msg = e.data;
  try {
    if (msg.type === 'init') return await init(msg.threads);
    if (!scene) throw new Error(`engine: '${msg.type}' request before the models loaded`);
    if (msg.type === 'kin') {
      newestKin = Math.max(newestKin, msg.id);
      reply(scene.kin(msg.id, msg.state));
    } else if (msg.type === 'fit') {
      reply({ type: 'fit', id: msg.id, request: msg.request, result: scene.fitToy(msg.request) });
    } else await extra(scene, msg.id, msg.state);
  } catch (err) {
    // the page shows the message; the stack goes to the worker's console, for a developer
    console.error(err);
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
