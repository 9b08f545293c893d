/**
 * The two densities of the toy data, which every config, training job and report has one of
 * each: `kin` = p(x | c) (context: the one-hot class) and `score` = p(y | x, c) (context:
 * [one-hot class, x]).
 */
export type Sector = 'kin' | 'score';

/** Both sectors, in the reference's order. */
export const SECTORS: readonly Sector[] = ['kin', 'score'];
