/**
 * PyTorch as a timing peer of a benchmark: a script of bench/pytorch (`train_step.py` for the
 * train_step family, `fit_nll.py` for the fit's NLL) run with `--serve` in a child process and
 * asked for one block of work at a time, so its blocks interleave with ours and both see the
 * same minute of this (noisy) machine. Without a Python that imports torch the
 * comparison is skipped with the reason; the rest of the bench does not need it.
 *
 * Which Python: FNF_BENCH_PYTHON, else `python3`. Set FNF_BENCH_PYTHON=none to skip.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/backend/wasm/index.js';

/** The peer scripts live in the source tree (bench/pytorch), not in dist. */
const scriptPath = (name: string): string => join(packageRoot(), 'bench', 'pytorch', name);

export class PyTorchPeer {
  private readonly waiting: ((line: string) => void)[] = [];
  private ended: string | null = null;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    /** The first line the peer printed ("ready torch 2.13.0+cpu"). */
    readonly version: string,
  ) {}

  /**
   * Start the peer with `threads` torch threads; null (and `why` told the reason) when no
   * usable Python with torch is there.
   */
  static async start(
    threads: number,
    why: (reason: string) => void,
    scriptName = 'train_step.py',
  ): Promise<PyTorchPeer | null> {
    const script = () => scriptPath(scriptName);
    const python = process.env.FNF_BENCH_PYTHON ?? 'python3';
    if (python === 'none') {
      why('FNF_BENCH_PYTHON=none');
      return null;
    }
    const child = spawn(python, [script(), '--serve', '--threads', String(threads)], {
      cwd: dirname(script()),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string | null>((resolve) => {
      lines.once('line', (l) => resolve(l));
      child.once('error', () => resolve(null));
      child.once('exit', () => resolve(null));
    });
    if (!first || !first.startsWith('ready')) {
      child.kill();
      const last = stderr.trim().split('\n').pop() ?? '';
      why(
        `${python} ${script()} --serve did not start${last ? `: ${last}` : ''}` +
          ' (set FNF_BENCH_PYTHON to a Python with torch)',
      );
      return null;
    }
    const peer = new PyTorchPeer(child, first.replace(/^ready\s*/, ''));
    lines.on('line', (l) => peer.waiting.shift()?.(l));
    child.once('exit', (code) => {
      peer.ended = `exited (code ${code}): ${stderr.trim().split('\n').pop() ?? ''}`;
      for (const w of peer.waiting.splice(0)) w('');
    });
    return peer;
  }

  /** One request line to the peer, its one answer line. */
  async ask(request: string): Promise<string> {
    if (this.ended) throw new Error(`PyTorch peer ${this.ended}`);
    const answer = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.child.stdin.write(`${request}\n`);
    return answer;
  }

  /** Run `steps` training steps of `model` in PyTorch (train_step.py); ms per step. */
  async time(model: string, steps: number): Promise<number> {
    const line = await this.ask(`${model} ${steps}`);
    const ms = Number(line);
    if (!(ms > 0))
      throw new Error(
        `PyTorch peer: expected ms per step for ${model}, got '${line}'${this.ended ? ` (${this.ended})` : ''}`,
      );
    return ms;
  }

  close(): void {
    if (!this.ended) this.child.stdin.end('quit\n');
  }
}
