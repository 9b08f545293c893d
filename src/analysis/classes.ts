/**
 * The two classes of the toy generator as every figure names and draws them: index, name, file
 * letter, line colour and colour map, plus the one-hot context row the models take.
 */
import { COLORS, type ColorMapName } from '../plot/colors.js';

export type ClassIndex = 0 | 1;

export interface ClassStyle {
  c: ClassIndex;
  /** "Class A": titles and legends. */
  name: string;
  /** "A": file names (`…_classA.png`). */
  letter: string;
  color: string;
  cmap: ColorMapName;
}

export const CLASSES: readonly [ClassStyle, ClassStyle] = [
  { c: 0, name: 'Class A', letter: 'A', color: COLORS.classA, cmap: 'Blues' },
  { c: 1, name: 'Class B', letter: 'B', color: COLORS.classB, cmap: 'Oranges' },
];

/** The class indices in order, for loops that need only the index. */
export const CLASS_INDICES: readonly ClassIndex[] = CLASSES.map((k) => k.c);

/** The one-hot context row of class c. */
export const oneHot = (c: number): [number, number] => (c === 0 ? [1, 0] : [0, 1]);
