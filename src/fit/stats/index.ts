/** Statistics for the fit: the standard normal to full precision and the asymptotic test-statistic formulae. */
export * from './normal.js';
export * from './asymptotic.js';
