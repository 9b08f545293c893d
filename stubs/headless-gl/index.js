// Stub for the optional native `gl` package (see package.json): creating a context fails,
// so gpu.js reports headless-gl as unavailable and fnflow moves on to WebGPU or wasm.
module.exports = function createContext() {
  return null;
};
