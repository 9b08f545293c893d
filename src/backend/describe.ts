/** One line naming a device's backend, build and threads (shared by Node and the browser entry). */
import type { Device } from './device.js';

/** One line saying which backend runs (and which wasm build). */
export function describeDevice(dev: Device): string {
  const k = dev.kernels as { name: string; build?: string; threads?: number };
  const threads = k.threads && k.threads > 1 ? `, ${k.threads} threads` : '';
  return k.build ? `backend ${k.name} (${k.build} build${threads})` : `backend ${k.name}`;
}
