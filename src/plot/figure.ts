/**
 * A figure: a grid of panels (optional height/width ratios, spans), a suptitle, an optional
 * figure-wide legend row, white background; rendered to one PNG.
 *
 * Layout is by pixel rectangles: the suptitle and legend take the top, the grid divides the
 * rest exactly, and each panel keeps its title, legend, axes and colour bar inside its own
 * rectangle, so text of neighbouring panels cannot overlap. Stacked panels in a column get
 * the same y-axis width so their chart areas line up (main + ratio panels share x visually).
 */
import { mkdirSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodePng, encodePngAsync, newCanvas, type Canvas } from './canvas.js';
import { drawLegend, layoutLegend, type LegendEntry } from './draw.js';
import { Panel, type PanelOptions } from './panel.js';
import { estimateYAxisWidth, renderPanel } from './render.js';
import { fillRich } from './richtext.js';
import { DEFAULT_THEME, richFont, scaleTheme, wrapText, type Theme } from './theme.js';

export interface FigureOptions {
  /** Size in pixels. */
  width: number;
  height: number;
  rows?: number;
  cols?: number;
  /** Relative row heights (e.g. [3, 1, 3, 1] for histogram + ratio stacks). */
  heightRatios?: number[];
  widthRatios?: number[];
  suptitle?: string;
  /** A legend row under the suptitle, for entries shared by all panels. */
  legend?: LegendEntry[];
  /** Multiplies every font size (default 1: 13 px tick labels). */
  fontScale?: number;
  theme?: Partial<Theme>;
  /** Outer margin in pixels. */
  margin?: number;
}

export interface PanelPlacement extends PanelOptions {
  rowSpan?: number;
  colSpan?: number;
}

interface Placed {
  panel: Panel;
  row: number;
  col: number;
  rowSpan: number;
  colSpan: number;
  userYAxisWidth: boolean;
}

function fractions(n: number, ratios: number[] | undefined, what: string): number[] {
  const r = ratios ?? new Array(n).fill(1);
  if (r.length !== n)
    throw new Error(
      `plot/figure: ${what} has ${r.length} entries for ${n} ${what.startsWith('height') ? 'rows' : 'cols'}`,
    );
  if (r.some((v) => !(v > 0))) throw new Error(`plot/figure: ${what} must be positive, got [${r.join(', ')}]`);
  const s = r.reduce((a, b) => a + b, 0);
  return r.map((v) => v / s);
}

export class Figure {
  readonly rows: number;
  readonly cols: number;
  readonly theme: Theme;
  private readonly placed: Placed[] = [];
  private legendEntries: LegendEntry[];

  constructor(readonly options: FigureOptions) {
    const { width, height } = options;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 50 && height >= 50)) {
      throw new Error(`plot/figure: width and height must be integers ≥ 50 px, got ${width} × ${height}`);
    }
    this.rows = options.rows ?? 1;
    this.cols = options.cols ?? 1;
    fractions(this.rows, options.heightRatios, 'heightRatios');
    fractions(this.cols, options.widthRatios, 'widthRatios');
    this.theme = scaleTheme({ ...DEFAULT_THEME, ...options.theme }, options.fontScale ?? 1);
    this.legendEntries = options.legend ?? [];
  }

  /** Creates the panel at (row, col) (0-based), optionally spanning several cells. */
  panel(row: number, col: number, opts: PanelPlacement = {}): Panel {
    const rowSpan = opts.rowSpan ?? 1;
    const colSpan = opts.colSpan ?? 1;
    if (!(
      Number.isInteger(row) &&
      Number.isInteger(col) &&
      row >= 0 &&
      col >= 0 &&
      row + rowSpan <= this.rows &&
      col + colSpan <= this.cols
    )) {
      throw new Error(
        `plot/figure panel(${row}, ${col}) span ${rowSpan}×${colSpan} is outside the ${this.rows}×${this.cols} grid`,
      );
    }
    for (const p of this.placed) {
      const overlap =
        row < p.row + p.rowSpan && p.row < row + rowSpan && col < p.col + p.colSpan && p.col < col + colSpan;
      if (overlap) throw new Error(`plot/figure panel(${row}, ${col}) overlaps the panel at (${p.row}, ${p.col})`);
    }
    const { rowSpan: _r, colSpan: _c, ...panelOpts } = opts;
    const panel = new Panel(panelOpts);
    this.placed.push({ panel, row, col, rowSpan, colSpan, userYAxisWidth: opts.yAxisWidth !== undefined });
    return panel;
  }

  /** Sets the figure-wide legend row (under the suptitle). */
  setLegend(entries: LegendEntry[]): this {
    this.legendEntries = entries;
    return this;
  }

  /** Draws everything into one canvas. */
  render(): Canvas {
    const { width, height } = this.options;
    const t = this.theme;
    const margin = this.options.margin ?? 8;
    const canvas = newCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = t.background;
    ctx.fillRect(0, 0, width, height);

    let top = margin;
    if (this.options.suptitle) {
      const font = richFont(t, t.suptitleSize);
      const lines = wrapText(ctx, this.options.suptitle, font, width - 2 * margin);
      const lh = Math.round(t.suptitleSize * 1.3);
      ctx.fillStyle = t.textColor;
      top += 4;
      lines.forEach((l, i) => fillRich(ctx, l, width / 2, top + i * lh + lh / 2, font, 'center'));
      top += lines.length * lh + 6;
    }
    if (this.legendEntries.length) {
      const lay = layoutLegend(ctx, this.legendEntries, t, width - 2 * margin - 20);
      drawLegend(ctx, lay, margin, top, width - 2 * margin, t);
      top += lay.height + 6;
    }

    const hf = fractions(this.rows, this.options.heightRatios, 'heightRatios');
    const wf = fractions(this.cols, this.options.widthRatios, 'widthRatios');
    const gridH = height - top - margin;
    const gridW = width - 2 * margin;
    const rowY = [top];
    for (const f of hf) rowY.push(rowY[rowY.length - 1] + f * gridH);
    const colX = [margin];
    for (const f of wf) colX.push(colX[colX.length - 1] + f * gridW);
    const rect = (p: Placed) => {
      const x0 = Math.round(colX[p.col]);
      const y0 = Math.round(rowY[p.row]);
      return { x: x0, y: y0, w: Math.round(colX[p.col + p.colSpan]) - x0, h: Math.round(rowY[p.row + p.rowSpan]) - y0 };
    };

    // One y-axis width per column start, so stacked chart areas line up.
    const colWidth = new Map<number, number>();
    for (const p of this.placed) {
      const w = estimateYAxisWidth(p.panel, rect(p).h, t, ctx);
      colWidth.set(p.col, Math.max(colWidth.get(p.col) ?? 0, w));
    }
    for (const p of this.placed) {
      const r = rect(p);
      if (r.w < 40 || r.h < 40)
        throw new Error(`plot/figure: panel (${p.row}, ${p.col}) gets only ${r.w}×${r.h} px; enlarge the figure`);
      if (!p.userYAxisWidth) p.panel.options.yAxisWidth = colWidth.get(p.col);
      const img = renderPanel(p.panel, r.w, r.h, t);
      ctx.drawImage(img, r.x, r.y);
    }
    return canvas;
  }

  /** PNG bytes of the rendered figure. */
  toPng(): Buffer {
    return encodePng(this.render());
  }

  /**
   * Writes the PNG atomically (temporary file in the same folder, then rename), creating the
   * folder if needed; returns the path.
   */
  savePng(path: string): string {
    writePngAtomic(path, this.toPng());
    return path;
  }

  /**
   * `savePng` with the PNG compressed off the calling thread: the figure is drawn now, the bytes
   * (identical to `savePng`'s) are encoded on the canvas library's thread pool and written
   * atomically when the promise settles. Drawing stays on this thread (Chart.js is not
   * thread-safe to share), compression is most of the rest of a figure's cost.
   */
  async savePngAsync(path: string): Promise<string> {
    const png = await encodePngAsync(this.render());
    writePngAtomic(path, png);
    return path;
  }
}

/** The PNG bytes into `path` through a temporary file in the same folder and a rename. */
function writePngAtomic(path: string, png: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, png);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new Error(`plot/figure savePng(${path}): ${(e as Error).message}`);
  }
}
