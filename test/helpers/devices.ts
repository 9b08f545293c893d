/** Devices the backend-independent tests run on: every backend that can load here. */
import { Device } from '../../src/backend/device.js';
import { tsKernels } from '../../src/backend/ts/index.js';
import { Memory } from '../../src/tensor/memory.js';
import { fillUniform } from '../../src/backend/gpu/parity-probe.js';

export function tsDevice(): Device {
  return new Device(new Memory(), tsKernels);
}

export async function allDevices(): Promise<Device[]> {
  const devices = [tsDevice()];
  try {
    const { createDevice } = await import('../../src/backend/index.js');
    devices.push(await createDevice({ backend: 'wasm' }));
  } catch (e) {
    if (!String(e).includes('Cannot find module')) throw e;
  }
  return devices;
}

/** Deterministic pseudo-random values in [lo, hi) (the xorshift32 of the gpu parity probe). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  fillUniform(out, seed, lo, hi);
  return out;
}
