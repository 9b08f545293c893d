/** Every differentiable op, defined once above the backends. */
export { add, sub, mul, div, neg, reciprocal } from './arith.js';
export { exp, log, square, sqrt, softplus, sigmoid, tanh, relu, elu, abs } from './unary.js';
export { sum, sumRows, sumCols, mean, meanRows } from './reduce.js';
export { concatCols, sliceCols, gatherCols, reshape } from './columns.js';
export { gatherRows, scatterRows } from './rows.js';
export { where } from './where.js';
export { matmul, linear, type LinearOptions } from './linear.js';
export { blockLinear } from './block-linear.js';
export { weightBlocks, type BlockSet } from './weight-block.js';
export { spreadLinear } from './spread-linear.js';
export { rowBiasLinear } from './row-bias-linear.js';
export { spline, splineInverse } from './spline.js';
