// The k chunk of matmul.ts's tiles: a product over more than KC terms sums each chunk from 0 and
// adds the stored sum of the chunks before (so a packed chunk of B stays in L1). sparse-tn.ts
// sums its chunks the same way to give the same bits. Internal: not re-exported by index.ts.

export const KC: i32 = 256;
