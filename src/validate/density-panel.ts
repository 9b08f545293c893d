/**
 * The 2-D density panel of the val_* figures: the truth as filled mass contours, equal axes over
 * a window, no legend of its own (the figure's legend says what is what). The caller draws the
 * model's contour lines on top (`.contourLines(model, massLevels(model), MODEL_LINE)`), so one
 * panel can also carry the nominal density's lines.
 */
import type { ColorMapName, Figure, Grid2D, Panel } from '../plot/index.js';
import { massLevels } from '../analysis/levels.js';
import { truthFill } from './style.js';

export interface DensityPanelSpec {
  title: string;
  subtitle: string;
  /** The two axes' labels (X_LABEL or Y_LABEL of style.ts). */
  labels: readonly string[];
  window: { x: [number, number]; y: [number, number] };
  truth: Grid2D;
  /** The fill's colour map: the class's, or TEMPLATE_CMAP for a template's truth. */
  cmap: ColorMapName;
}

export function densityPanel(fig: Figure, row: number, col: number, s: DensityPanelSpec): Panel {
  return fig
    .panel(row, col, {
      title: s.title,
      subtitle: s.subtitle,
      xLabel: s.labels[0],
      yLabel: s.labels[1],
      aspect: 'equal',
      xRange: s.window.x,
      yRange: s.window.y,
      legend: 'none',
    })
    .contourFill(s.truth, massLevels(s.truth), truthFill(s.cmap));
}
