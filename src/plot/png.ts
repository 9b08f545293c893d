/** Reads the size of a PNG from its IHDR chunk (to check outputs without decoding them). */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** { width, height } of a PNG, or throws naming what is wrong with the bytes. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 33) throw new Error(`plot/png pngSize: ${bytes.length} bytes is too short for a PNG`);
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw new Error('plot/png pngSize: bad PNG signature');
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (type !== 'IHDR') throw new Error(`plot/png pngSize: first chunk is ${type}, expected IHDR`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
