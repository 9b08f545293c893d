/** The minimizer's public surface: MINUIT-style MIGRAD, HESSE, MINOS and profile scans (see types.ts). */
export type * from './types.js';
export { migrad } from './migrad.js';
export { hesse } from './hesse-standalone.js';
export { minos } from './minos.js';
export { profile, profile2d } from './profile.js';
export { correlation } from './correlation.js';
