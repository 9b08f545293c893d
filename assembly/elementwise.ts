// Elementwise kernels: unary maps, broadcasting binary ops, activation backward.
//
// ABI (pointers are byte offsets into the shared memory; [e0, e1) is a range of output
// elements, so a worker pool can split one call; every element is computed independently):
//
//   unary(op, out, x, e0, e1)
//       out[e] = f(x[e]); op = `Unary` code (0 neg, 1 exp, 2 log, 3 square, 4 sqrt,
//       5 softplus, 6 sigmoid, 7 tanh, 8 relu, 9 elu, 10 one-minus-square, 11 step, 12 abs,
//       13 reciprocal). out may equal x.
//   binary(op, mode, out, a, b, M, N, e0, e1)
//       out[M,N] = a[M,N] ∘ b; op = `Binary` code (0 add, 1 sub, 2 mul, 3 div);
//       mode = `Broadcast` code: 0 b[M,N], 1 b[N] per row, 2 b[M] per column, 3 b[1].
//   act_backward(act, dx, dy, y, e0, e1)
//       dx[e] = dy[e] · act′ with act′ from the output y: relu 1[y>0]; elu y>0 ? 1 : y+1;
//       tanh 1 − y²; none 1.
//
// The cheap maps run on f32x4, and so does elu (the expm1 polynomial of fastmath.ts, ~1.5 ulp
// from the ts reference; its tail elements take the same vector code). The other transcendental
// ones (exp, log, softplus, sigmoid, tanh) are scalar loops over Mathf (float32 musl-style
// implementations, within an ulp of the ts reference). 1 − y² is computed as (1 − y)(1 + y),
// which keeps its relative accuracy near y = ±1 where the square form cancels.

import { eluScalar, eluVec, reluVec } from './activation';

// ---------------------------------------------------------------------------------- unary

// @ts-ignore: decorator
@inline function unaryVec(op: i32, v: v128): v128 {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  if (op == 0) return f32x4.neg(v);
  if (op == 3) return f32x4.mul(v, v);
  if (op == 4) return f32x4.sqrt(v);
  if (op == 8) return reluVec(v);
  if (op == 9) return eluVec(v);
  if (op == 10) return f32x4.mul(f32x4.sub(one, v), f32x4.add(one, v));
  if (op == 11) return v128.bitselect(one, zero, f32x4.gt(v, zero));
  if (op == 12) return f32x4.abs(v);
  return f32x4.div(one, v); // 13 reciprocal
}

/** log(1 + eᵛ) = max(v, 0) + log1p(e^(−|v|)): no overflow, one exp (as the ts reference). */
function softplusf(v: f32): f32 {
  return (v > 0 ? v : <f32>0) + Mathf.log1p(Mathf.exp(-Mathf.abs(v)));
}

/** 1 / (1 + e^(−v)) for v ≥ 0, eᵛ / (1 + eᵛ) below: one exp of −|v|, never overflowing. */
function sigmoidf(v: f32): f32 {
  const e = Mathf.exp(-Mathf.abs(v));
  return v >= 0 ? <f32>1 / (<f32>1 + e) : e / (<f32>1 + e);
}

// @ts-ignore: decorator
@inline function unaryScalar(op: i32, v: f32): f32 {
  switch (op) {
    case 0: return -v;
    case 1: return Mathf.exp(v);
    case 2: return Mathf.log(v);
    case 3: return v * v;
    case 4: return Mathf.sqrt(v);
    case 5: return softplusf(v);
    case 6: return sigmoidf(v);
    case 7: return Mathf.tanh(v);
    case 8: return v > 0 ? v : 0;
    case 9: return eluScalar(v);
    case 10: return (<f32>1 - v) * (<f32>1 + v);
    case 11: return v > 0 ? 1 : 0;
    case 12: return Mathf.abs(v);
    default: return <f32>1 / v;
  }
}

// @ts-ignore: decorator
@inline function unaryVecLoop(op: i32, out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>(i << 2);
    v128.store(out + at, unaryVec(op, v128.load(x + at)));
  }
  for (; i < n; i++) {
    const at = <usize>(i << 2);
    store<f32>(out + at, unaryScalar(op, load<f32>(x + at)));
  }
}

// @ts-ignore: decorator
@inline function unaryScalarLoop(op: i32, out: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>(i << 2);
    store<f32>(out + at, unaryScalar(op, load<f32>(x + at)));
  }
}

export function unary(op: i32, out: usize, x: usize, e0: i32, e1: i32): void {
  if (e1 <= e0) return;
  const o = out + <usize>(e0 << 2);
  const s = x + <usize>(e0 << 2);
  const n = e1 - e0;
  // Each case passes a constant op, so the inlined loop is specialised per op.
  switch (op) {
    case 0: unaryVecLoop(0, o, s, n); break;
    case 1: unaryScalarLoop(1, o, s, n); break;
    case 2: unaryScalarLoop(2, o, s, n); break;
    case 3: unaryVecLoop(3, o, s, n); break;
    case 4: unaryVecLoop(4, o, s, n); break;
    case 5: unaryScalarLoop(5, o, s, n); break;
    case 6: unaryScalarLoop(6, o, s, n); break;
    case 7: unaryScalarLoop(7, o, s, n); break;
    case 8: unaryVecLoop(8, o, s, n); break;
    case 9: unaryVecLoop(9, o, s, n); break;
    case 10: unaryVecLoop(10, o, s, n); break;
    case 11: unaryVecLoop(11, o, s, n); break;
    case 12: unaryVecLoop(12, o, s, n); break;
    case 13: unaryVecLoop(13, o, s, n); break;
    default: unreachable();
  }
}

// --------------------------------------------------------------------------------- binary

// @ts-ignore: decorator
@inline function binVec(op: i32, a: v128, b: v128): v128 {
  if (op == 0) return f32x4.add(a, b);
  if (op == 1) return f32x4.sub(a, b);
  if (op == 2) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

// @ts-ignore: decorator
@inline function binScalar(op: i32, a: f32, b: f32): f32 {
  if (op == 0) return a + b;
  if (op == 1) return a - b;
  if (op == 2) return a * b;
  return a / b;
}

/** out[i] = a[i] ∘ b[i] for n elements. */
// @ts-ignore: decorator
@inline function segVV(op: i32, out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>(i << 2);
    v128.store(out + at, binVec(op, v128.load(a + at), v128.load(b + at)));
  }
  for (; i < n; i++) {
    const at = <usize>(i << 2);
    store<f32>(out + at, binScalar(op, load<f32>(a + at), load<f32>(b + at)));
  }
}

/** out[i] = a[i] ∘ s for n elements. */
// @ts-ignore: decorator
@inline function segVS(op: i32, out: usize, a: usize, s: f32, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>(i << 2);
    v128.store(out + at, binVec(op, v128.load(a + at), sv));
  }
  for (; i < n; i++) {
    const at = <usize>(i << 2);
    store<f32>(out + at, binScalar(op, load<f32>(a + at), s));
  }
}

/**
 * Row / column broadcast over rows of N = 2 or 4 elements, from a row start e0 (the residual
 * layers' [B, 2] arithmetic). Walking row by row cost more than the arithmetic (a division and a
 * 2-element run per row: ~6 µs for 1024 rows); here each f32x4 covers 4/N whole rows, with b's
 * values laid out to match its lanes. The same operation per element as the row walk.
 */
function narrowRows(
  op: i32, mode: i32, out: usize, a: usize, b: usize, N: i32, e0: i32, e1: i32,
): void {
  // Row mode: one lane pattern for every vector (lane l has column l mod N).
  const zero = f32x4.splat(0);
  let rowPattern = zero;
  if (mode == 1) rowPattern = N == 4 ? v128.load(b) : v128.shuffle<f32>(v128.load64_zero(b), zero, 0, 1, 0, 1);
  let e = e0;
  for (; e + 4 <= e1; e += 4) {
    const at = <usize>(e << 2);
    let bv = rowPattern;
    if (mode == 2) {
      const r = e / N; // this vector's first row
      bv = N == 4
        ? v128.load32_splat(b + <usize>(r << 2))
        : v128.shuffle<f32>(v128.load64_zero(b + <usize>(r << 2)), zero, 0, 0, 1, 1);
    }
    v128.store(out + at, binVec(op, v128.load(a + at), bv));
  }
  for (; e < e1; e++) {
    const at = <usize>(e << 2);
    const bAt = mode == 2 ? e / N : e % N;
    store<f32>(out + at, binScalar(op, load<f32>(a + at), load<f32>(b + <usize>(bAt << 2))));
  }
}

// @ts-ignore: decorator
@inline function binaryOp(
  op: i32, mode: i32, out: usize, a: usize, b: usize, N: i32, e0: i32, e1: i32,
): void {
  if (mode == 0) {
    const at = <usize>(e0 << 2);
    segVV(op, out + at, a + at, b + at, e1 - e0);
  } else if (mode == 3) {
    const at = <usize>(e0 << 2);
    segVS(op, out + at, a + at, load<f32>(b), e1 - e0);
  } else if (mode == 2 && N == 1) {
    // One column: b holds one value per element.
    const at = <usize>(e0 << 2);
    segVV(op, out + at, a + at, b + at, e1 - e0);
  } else if ((N == 2 || N == 4) && e0 % N == 0) {
    narrowRows(op, mode, out, a, b, N, e0, e1);
  } else {
    // Row / column broadcast: walk the rows the range touches, one contiguous run each.
    let e = e0;
    while (e < e1) {
      const r = e / N;
      const rowEnd = (r + 1) * N;
      const end = rowEnd < e1 ? rowEnd : e1;
      const at = <usize>(e << 2);
      if (mode == 1) {
        segVV(op, out + at, a + at, b + <usize>((e - r * N) << 2), end - e);
      } else {
        segVS(op, out + at, a + at, load<f32>(b + <usize>(r << 2)), end - e);
      }
      e = end;
    }
  }
}

export function binary(
  op: i32, mode: i32, out: usize, a: usize, b: usize, M: i32, N: i32, e0: i32, e1: i32,
): void {
  if (e1 <= e0 || N <= 0) return;
  switch (op) {
    case 0: binaryOp(0, mode, out, a, b, N, e0, e1); break;
    case 1: binaryOp(1, mode, out, a, b, N, e0, e1); break;
    case 2: binaryOp(2, mode, out, a, b, N, e0, e1); break;
    case 3: binaryOp(3, mode, out, a, b, N, e0, e1); break;
    default: unreachable();
  }
}

// --------------------------------------------------------------------------- act backward

// @ts-ignore: decorator
@inline function actGradVec(act: i32, y: v128): v128 {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  if (act == 1) return v128.bitselect(one, zero, f32x4.gt(y, zero));
  if (act == 2) return v128.bitselect(one, f32x4.add(y, one), f32x4.gt(y, zero));
  return f32x4.mul(f32x4.sub(one, y), f32x4.add(one, y)); // 3 tanh
}

// @ts-ignore: decorator
@inline function actGradScalar(act: i32, y: f32): f32 {
  if (act == 1) return y > 0 ? 1 : 0;
  if (act == 2) return y > 0 ? 1 : y + 1;
  return (<f32>1 - y) * (<f32>1 + y);
}

// @ts-ignore: decorator
@inline function actBackwardLoop(act: i32, dx: usize, dy: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>(i << 2);
    v128.store(dx + at, f32x4.mul(v128.load(dy + at), actGradVec(act, v128.load(y + at))));
  }
  for (; i < n; i++) {
    const at = <usize>(i << 2);
    store<f32>(dx + at, load<f32>(dy + at) * actGradScalar(act, load<f32>(y + at)));
  }
}

export function act_backward(act: i32, dx: usize, dy: usize, y: usize, e0: i32, e1: i32): void {
  if (e1 <= e0) return;
  const at = <usize>(e0 << 2);
  const n = e1 - e0;
  switch (act) {
    case 0: memory.copy(dx + at, dy + at, <usize>(n << 2)); break;
    case 1: actBackwardLoop(1, dx + at, dy + at, y + at, n); break;
    case 2: actBackwardLoop(2, dx + at, dy + at, y + at, n); break;
    case 3: actBackwardLoop(3, dx + at, dy + at, y + at, n); break;
    default: unreachable();
  }
}

// ----------------------------------------------------------------------------------- fill

/**
 * out[e] = value for e in [e0, e1): zeroing gradient blocks. A fill through a JavaScript view of
 * the shared memory runs an element loop (several times slower than memory.fill); this is one
 * bulk-memory instruction for zero, vector stores otherwise.
 */
export function fill(out: usize, value: f32, e0: i32, e1: i32): void {
  if (e1 <= e0) return;
  const o = out + <usize>(e0 << 2);
  const n = e1 - e0;
  if (reinterpret<u32>(value) == 0) {
    memory.fill(o, 0, <usize>(n << 2));
    return;
  }
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(o + <usize>(i << 2), v);
  for (; i < n; i++) store<f32>(o + <usize>(i << 2), value);
}
