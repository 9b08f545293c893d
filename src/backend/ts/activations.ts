/** Scalar activation maps and their derivatives written in terms of the output y. */
import { Act } from '../kernels.js';

export function applyAct(act: Act, v: number): number {
  switch (act) {
    case Act.None:
      return v;
    case Act.Relu:
      return v > 0 ? v : 0;
    case Act.Elu:
      return v > 0 ? v : Math.expm1(v);
    case Act.Tanh:
      return Math.tanh(v);
  }
}

/** act′ as a function of y = act(v): relu 1[y>0]; elu y>0 ? 1 : y+1 (= eᵛ); tanh 1 − y². */
export function actGradFromOutput(act: Act, y: number): number {
  switch (act) {
    case Act.None:
      return 1;
    case Act.Relu:
      return y > 0 ? 1 : 0;
    case Act.Elu:
      return y > 0 ? 1 : y + 1;
    case Act.Tanh:
      return 1 - y * y;
  }
}
