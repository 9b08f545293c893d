// Entry point of the kernel module: re-exports every kernel family.
// One file per family; each kernel takes byte offsets into the imported shared memory and a
// row/element range [r0, r1) so that worker threads can split a call without changing results.
export * from './matmul';
export * from './elementwise';
export * from './reduce';
export * from './adamw';
export * from './spline';
export * from './gather';
export * from './sparse-rows';
export * from './sparse-tn';
