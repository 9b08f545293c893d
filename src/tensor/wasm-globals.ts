/**
 * The WebAssembly types our declarations name (a module, a memory), declared empty. They are
 * globals of TypeScript's DOM lib (and of newer @types/node), which a Node project's type check
 * need not load: without these, a consumer compiling with lib ES20xx and @types/node 20 found
 * no `WebAssembly` namespace in our .d.ts files. Empty interfaces merge with the full ones
 * wherever those exist, so a project with the DOM lib sees the real types.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace WebAssembly {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Module {}
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Memory {}
  }
}
export {};
