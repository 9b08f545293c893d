/** Base NSFs against the PyTorch + Zuko golden vectors, on every backend. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { nsfFromStateDict } from '../src/flows/nsf-state.js';
import { checkBaseGolden } from '../src/conformance/golden-base.js';
import { formatRows } from '../src/conformance/compare.js';
import { allDevices } from './helpers/devices.js';
import { SHARED } from './helpers/shared.js';

const devices = await allDevices();

for (const dev of devices) {
  for (const [golden, ckpt] of [
    ['kin_base.json', 'kin_density.pt'],
    ['score_base.json', 'score_density.pt'],
  ]) {
    test(`${dev.backend}: ${golden} within the recommended tolerances`, () => {
      const g = JSON.parse(readFileSync(`${SHARED}/golden/${golden}`, 'utf8'));
      const nsf = nsfFromStateDict(dev, readCheckpoint(`${SHARED}/reference-models/${ckpt}`).dict);
      const rows = checkBaseGolden(dev, g, nsf);
      const bad = rows.filter((r) => !r.ok);
      assert.is(bad.length, 0, formatRows(golden, rows));
    });
  }
}

test.run();
