/**
 * Child processes of the benchmark (servers, load generators) and the line protocol they speak: one JSON
 * object per stdout line from the child, plain command lines on its stdin. Every child is tracked, and
 * {@linkcode stopAllChildren} ends those still running on exit, on errors and on Ctrl-C, so no benchmark
 * leaves a process behind.
 *
 * @module
 */

const running = new Set<Child>();

/** Reads a byte stream as text lines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    yield* lines;
  }
  if (pending) yield pending;
}

/** A JSON event printed by a child. */
export type ChildEvent = Record<string, unknown> & { event?: string; bench?: string };

/** One benchmark child process: `deno run` of `script` with `env` added and `args`. */
export class Child {
  readonly #process: Deno.ChildProcess;
  readonly #events: ChildEvent[] = [];
  /** Called on every event and when the child exits. */
  readonly #listeners = new Set<() => void>();
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** The last lines of its stderr (and non-JSON stdout), for error messages. */
  readonly stderrTail: string[] = [];
  readonly exited: Promise<Deno.CommandStatus>;
  hasExited = false;

  constructor(
    readonly name: string,
    script: URL,
    options: { env?: Record<string, string>; args?: string[] } = {},
  ) {
    const process = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", script.pathname, ...options.args ?? []],
      env: options.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#process = process;
    this.#stdin = process.stdin.getWriter();
    running.add(this);
    this.exited = process.status.finally(() => {
      this.hasExited = true;
      running.delete(this);
      for (const listener of this.#listeners) listener();
    });
    (async () => {
      for await (const line of readLines(process.stdout)) {
        try {
          this.#events.push(JSON.parse(line));
        } catch {
          this.#keep(`[stdout] ${line}`);
        }
        for (const listener of this.#listeners) listener();
      }
    })();
    (async () => {
      for await (const line of readLines(process.stderr)) this.#keep(line);
    })();
  }

  #keep(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > 40) this.stderrTail.shift();
  }

  /** The first event (seen or coming) passing `test`; rejects after `timeoutMs` or if the child exits. */
  waitFor(test: (e: ChildEvent) => boolean, timeoutMs: number, what = "event"): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const event = this.#events.find(test);
        if (event === undefined && !this.hasExited) return;
        this.#listeners.delete(check);
        clearTimeout(timer);
        if (event !== undefined) resolve(event);
        else fail("exited");
      };
      const fail = (why: string) =>
        reject(
          new Error(`${this.name}: ${why} waiting for ${what}\n  ${this.stderrTail.slice(-12).join("\n  ")}`),
        );
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        fail(`no answer in ${timeoutMs} ms`);
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Sends one command line on the child's stdin. */
  async send(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Ends the child: closes its stdin and waits `graceMs` for it to exit, then SIGTERM, then SIGKILL. */
  async stop(graceMs = 3000): Promise<void> {
    await this.#stdin.close().catch(() => {});
    for (const [signal, ms] of [[null, graceMs], ["SIGTERM", 2000], ["SIGKILL", 2000]] as const) {
      if (signal) {
        try {
          this.#process.kill(signal);
        } catch { /* gone between the check and the signal */ }
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.exited, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
      clearTimeout(timer);
      if (this.hasExited) return;
    }
  }
}

/** Stops every child still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(500)));
}

/** Children still running (for tests). */
export function runningChildren(): number {
  return running.size;
}
