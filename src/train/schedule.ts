/**
 * The reference's learning-rate schedule (LinearWarmupCosineDecay under torch's LambdaLR):
 * factor λ(k) of the base lr for the optimizer step with 0-based index k,
 *   λ(k) = k / max(1, W)                                  for k ≤ W  (so step 0 runs with lr 0)
 *   λ(k) = 1e-8                                           for k ≥ T
 *   λ(k) = ½(1 + cos(π (k − W) / max(1, T − W)))          otherwise.
 * W = warm-up steps (one epoch), T = total steps.
 */
export const LR_FLOOR = 1e-8;

export function warmupCosineFactor(k: number, warmup: number, total: number): number {
  if (k <= warmup) return k / Math.max(1, warmup);
  if (k >= total) return LR_FLOOR;
  return 0.5 * (1 + Math.cos((Math.PI * (k - warmup)) / Math.max(1, total - warmup)));
}
