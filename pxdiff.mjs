import { loadImage, createCanvas } from '@napi-rs/canvas';
import { readFileSync } from 'node:fs';
const px = async (f) => { const i = await loadImage(readFileSync(f)); const c = createCanvas(i.width, i.height); const x = c.getContext('2d'); x.drawImage(i, 0, 0); return { d: x.getImageData(0, 0, i.width, i.height).data, w: i.width }; };
for (const [a, b] of [process.argv.slice(2)]) {
  const A = await px(a), B = await px(b); let n = 0, minx=1e9,maxx=0,miny=1e9,maxy=0;
  for (let i = 0; i < A.d.length; i += 4) if (A.d[i] !== B.d[i] || A.d[i+1] !== B.d[i+1] || A.d[i+2] !== B.d[i+2]) { n++; const p=i/4, x=p%A.w, y=Math.floor(p/A.w); minx=Math.min(minx,x);maxx=Math.max(maxx,x);miny=Math.min(miny,y);maxy=Math.max(maxy,y);}
  console.log(n, 'pixels differ', A.d.length === B.d.length, n ? [minx,maxx,miny,maxy] : '');
}
