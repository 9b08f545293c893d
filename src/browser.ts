/**
 * fnflow in a web page ('fnflow/browser'): the models, the transform protocol, autodiff and the
 * toy generator of the Node entry (src/api-core.ts), on a device whose kernels are fetched, and
 * checkpoints from bytes. Nothing here imports Node: bundle it with esbuild, Vite or webpack.
 *
 * ```ts
 * import { createBrowserDevice, loadResidualModel } from 'fnflow/browser';
 * // serve node_modules/fnflow/build/kernels-{simd,relaxed}.wasm and a model file beside the page
 * const dev = await createBrowserDevice({ wasmUrl: (b) => `/wasm/kernels-${b}.wasm` });
 * const bytes = new Uint8Array(await (await fetch('/models/kin_density_residuals.safetensors')).arrayBuffer());
 * const model = loadResidualModel(dev, { bytes, name: 'kin_density_residuals.safetensors' });
 * const logp = model.logProb(x, { context: oneHot, nu: Float32Array.of(0.5, -0.3) });
 * ```
 *
 * One thread by default. More need a cross-origin isolated page (COOP/COEP), the device created
 * in a Web Worker (a split kernel call blocks in Atomics.wait) and `poolWorkerUrl`: the script
 * 'fnflow/browser/pool-worker' bundled as a classic worker (the repository's page, web/, does all three).
 */

/** A wasm device in the page: kernels fetched from `wasmUrl`, optionally a pool of Web Workers. */
export { createBrowserDevice, type BrowserDeviceOptions } from './backend/wasm/browser/device.js';

export * from './api-core.js';

// ---- checkpoints from bytes (a fetched file, an upload): ours (.safetensors) or the reference's .pt ----

/** A flow or a residual model, whichever the checkpoint holds. */
export { loadModel } from './models/from-memory.js';
/** A base NSF from a checkpoint, optionally checked against an expected architecture. */
export { loadBaseFlow } from './models/from-memory.js';
/** A residual model (with its base) from a checkpoint, optionally checked against the config. */
export { loadResidualModel } from './models/from-memory.js';
/** `{ bytes, name }` or a checkpoint already parsed (a path is refused: there is no file system). */
export type { MemorySource } from './models/from-memory.js';
/** Parse a checkpoint by content (.pt through the restricted unpickler, or safetensors). */
export { checkpointOf } from './models/from-memory.js';
