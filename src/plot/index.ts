/** fnflow figure layer: data in, PNG out. */
export { Figure, type FigureOptions, type PanelPlacement } from './figure.js';
export { DeferredSaves, saveNow, type SaveFigure } from './saves.js';
export { Panel, type PanelOptions, type PanelItem, type Range, type Corner, type StyleOptions } from './panel.js';
export {
  histogramComparison,
  addHistogramStack,
  shareRatioRange,
  type HistComparisonSpec,
  type HistComparisonResult,
  type HistStackOptions,
} from './compose.js';
export type { LegendEntry } from './draw.js';
export {
  COLORS,
  COLOR_MAPS,
  colorScale,
  divergingScale,
  interpolator,
  parseColor,
  withAlpha,
  rgba,
  sampleColors,
  type ColorMapName,
  type ColorScale,
  type ColorScaleOptions,
} from './colors.js';
export {
  type Grid2D,
  type Numbers,
  gridFromFunction,
  gridStep,
  gridCellArea,
  finiteExtent,
  symmetricLimit,
} from './grid.js';
export {
  linspace,
  histogram1d,
  histogram2d,
  percentileSorted,
  autoRange,
  safeRatio,
  ratioWithErrors,
  ratioYRange,
  type Histogram1D,
  type Histogram2D,
  type HistogramOptions,
  type AutoRangeOptions,
  type RatioPoints,
  type RatioOptions,
  type RatioRangeOptions,
} from './histogram.js';
export { contourLevels, hpdLevels, type FractionLevelOptions, type HpdOptions } from './levels.js';
export { gaussianFilter2d } from './smooth.js';
export { upsampleGrid } from './upsample.js';
export { niceTicks, formatTick } from './ticks.js';
export { DEFAULT_THEME, type Theme } from './theme.js';
export { pngSize } from './png.js';
