/**
 * Chart.js set up for server-side drawing. Chart.js detects the missing DOM itself (it picks
 * its BasicPlatform when `window` is undefined), so no shim is needed: it draws on an
 * @napi-rs/canvas 2-D context passed in place of a browser one.
 * Registration fills Chart.js's own registry of controllers/scales/elements; it is idempotent
 * and has to happen once before the first chart, so it lives at module load here.
 */
import { Chart, registerables } from 'chart.js';

Chart.register(...registerables);

export { Chart };
