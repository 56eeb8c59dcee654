/**
 * Child processes of the benchmark (server, baseline, load generator) and the line protocol they speak:
 * one JSON object per stdout line from the child, plain command lines on its stdin.
 *
 * Every child is tracked; {@linkcode stopAllChildren} ends the ones still running (terminate, then kill)
 * and runs on normal exit, on errors and on Ctrl-C, so no benchmark leaves a process behind.
 *
 * @module
 */

const running = new Set<Child>();
const STDERR_TAIL_LINES = 40;

/** Reads a byte stream as text lines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
    }
  }
  if (pending) yield pending;
}

/** A JSON event printed by a child. */
export type ChildEvent = Record<string, unknown> & { event?: string; bench?: string };

/** How to start a child. */
export interface ChildOptions {
  /** Environment of the child (added to this process's). */
  env?: Record<string, string>;
  /** Flags for `deno run` (e.g. `--cpu-prof`). */
  denoFlags?: string[];
  /** Arguments of the script. */
  args?: string[];
}

/** One benchmark child process. */
export class Child {
  readonly #process: Deno.ChildProcess;
  readonly #events: ChildEvent[] = [];
  readonly #waiters = new Set<{ test: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }>();
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly stderrTail: string[] = [];
  readonly exited: Promise<Deno.CommandStatus>;
  #exitedNow = false;

  constructor(readonly name: string, script: URL, options: ChildOptions = {}) {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        // BENCH_V8 appends V8 flags to every child, e.g. BENCH_V8=",--max-semi-space-size=4" (docs/performance.md).
        `--v8-flags=--expose-gc${Deno.env.get("BENCH_V8") ?? ""}`,
        ...(options.denoFlags ?? []),
        script.pathname,
        ...(options.args ?? []),
      ],
      env: options.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    this.#process = command.spawn();
    this.#stdin = this.#process.stdin.getWriter();
    running.add(this);
    this.exited = this.#process.status.finally(() => {
      this.#exitedNow = true;
      running.delete(this);
    });
    this.#pump();
    this.#pumpStderr();
  }

  get pid(): number {
    return this.#process.pid;
  }

  get hasExited(): boolean {
    return this.#exitedNow;
  }

  async #pump(): Promise<void> {
    for await (const line of readLines(this.#process.stdout)) {
      if (!line.startsWith("{")) {
        this.#keepStderr(`[stdout] ${line}`);
        continue;
      }
      let event: ChildEvent;
      try {
        event = JSON.parse(line);
      } catch {
        this.#keepStderr(`[stdout, not JSON] ${line}`);
        continue;
      }
      this.#events.push(event);
      for (const waiter of this.#waiters) {
        if (waiter.test(event)) {
          this.#waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    }
  }

  async #pumpStderr(): Promise<void> {
    for await (const line of readLines(this.#process.stderr)) this.#keepStderr(line);
  }

  #keepStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
  }

  /** The first event (seen or coming) passing `test`; rejects after `timeoutMs` or if the child exits. */
  waitFor(test: (e: ChildEvent) => boolean, timeoutMs: number, what = "event"): Promise<ChildEvent> {
    const seen = this.#events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        reject(
          new Error(`${this.name}: ${why} waiting for ${what}\n  ${this.stderrTail.slice(-12).join("\n  ")}`),
        );
      };
      const timer = setTimeout(() => fail(`no answer in ${timeoutMs} ms`), timeoutMs);
      const waiter = {
        test,
        resolve: (e: ChildEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      this.#waiters.add(waiter);
      this.exited.then((status) => {
        if (this.#waiters.has(waiter)) fail(`exited with code ${status.code}`);
      });
    });
  }

  /** Sends one command line on the child's stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Ends the child: waits `graceMs` for it to exit by itself, then SIGTERM, then SIGKILL. */
  async stop(graceMs = 3000): Promise<void> {
    await this.#stdin.close().catch(() => {});
    if (await exitsWithin(this, graceMs)) return;
    this.#signal("SIGTERM");
    if (await exitsWithin(this, 2000)) return;
    this.#signal("SIGKILL");
    await exitsWithin(this, 2000);
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#process.kill(signal);
    } catch (error) {
      // Already gone between the check and the signal: nothing left to stop.
      if (!(error instanceof TypeError)) throw error;
    }
  }
}

async function exitsWithin(child: Child, ms: number): Promise<boolean> {
  if (child.hasExited) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const result = await Promise.race([child.exited.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

/** Stops every child still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(500)));
}

/** Children still running (for tests). */
export function runningChildren(): number {
  return running.size;
}
