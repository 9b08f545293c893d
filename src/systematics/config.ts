/** Architecture of a residual systematic model (spec §5); defaults are the reference's. */

export interface ResidualModelConfig {
  featuresDim: number;
  contextDim: number;
  numNuisances: number;
  numResidualLayers: number;
  hiddenFeatures: number[];
  /** 'flow': log N(z) + ladj; 'transform': the base is a bare transform, log N(z) taken as 0. */
  type: 'flow' | 'transform';
  quadraticDamping: number;
  /** pairs (i, j) of nuisances with a learned ν_i·ν_j term; deduplicated, first appearance order. */
  crossTermPairs: [number, number][];
  crossDamping: number;
  centralNuisanceValues: number[];
  nuisanceScales: number[];
  ladjSign: 1 | -1;
}

export function residualDefaults(
  partial: Partial<ResidualModelConfig> & Pick<ResidualModelConfig, 'featuresDim' | 'contextDim' | 'numNuisances'>,
): ResidualModelConfig {
  const n = partial.numNuisances;
  return {
    numResidualLayers: 1,
    hiddenFeatures: [128, 128],
    type: 'flow',
    quadraticDamping: 0.01,
    crossTermPairs: [],
    crossDamping: 0.01,
    centralNuisanceValues: new Array(n).fill(0),
    nuisanceScales: new Array(n).fill(1),
    ladjSign: 1,
    ...partial,
  };
}

/** Pairs with i ≠ j, each unordered pair once, in order of first appearance. */
export function normalisePairs(pairs: readonly (readonly number[])[], numNuisances: number): [number, number][] {
  const out: [number, number][] = [];
  const seen = new Set<string>();
  for (const p of pairs) {
    const [a, b] = p;
    if (
      p.length !== 2 ||
      !Number.isInteger(a) ||
      !Number.isInteger(b) ||
      a === b ||
      a < 0 ||
      b < 0 ||
      a >= numNuisances ||
      b >= numNuisances
    ) {
      throw new Error(`cross_term_pairs: [${p}] is not a pair of distinct nuisance indices below ${numNuisances}`);
    }
    const key = `${Math.min(a, b)},${Math.max(a, b)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([a, b]);
  }
  return out;
}
