/**
 * The one place the plot layer makes canvases: everything else draws on the 2-D context of a
 * canvas it is given or gets from here. Under Node the canvases are @napi-rs/canvas (prebuilt
 * Skia); a browser build replaces this module with one that returns OffscreenCanvas / DOM
 * canvases, and the rest of plot/ stays as it is.
 */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';

export type { Canvas };
/** The 2-D drawing context every plot function takes. */
export type Ctx = SKRSContext2D;

/** A blank canvas of the given size in pixels. */
export function newCanvas(width: number, height: number): Canvas {
  return createCanvas(width, height);
}

/** PNG bytes of a canvas. */
export function encodePng(canvas: Canvas): Buffer {
  return canvas.toBuffer('image/png');
}

/**
 * The same PNG bytes as `encodePng`, encoded on the canvas library's native thread pool: the
 * calling thread goes on (drawing the next figure, running model kernels) while it compresses.
 */
export function encodePngAsync(canvas: Canvas): Promise<Buffer> {
  return canvas.encode('png');
}
