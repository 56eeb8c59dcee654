/**
 * `deno task start` as a user runs it: `main.ts` in a child process on a free loopback port, so tests can
 * send it signals, read its output and measure its memory from outside.
 *
 * @module
 */

/** A TCP port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running `main.ts`; `rest` finishes once its stdout has ended (the output is drained meanwhile). */
export interface MainProcess {
  child: Deno.ChildProcess;
  rest: Promise<void>;
}

/** Starts `deno run -A main.ts` on `port` with `env` and waits until it serves. */
export async function startMain(port: number, env: Record<string, string> = {}): Promise<MainProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL("../..", import.meta.url),
    // No model, whatever a developer's .env says (unless `env` asks for one): the tests stay offline.
    env: { PORT: String(port), LOG_LEVEL: "warn", TWILIO_AUTH_TOKEN: "", COACH_LLM_BASE_URL: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  const deadline = Date.now() + 60_000;
  while (!output.includes("Live Call Coach is running")) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${output}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${output}`);
    output += value;
  }
  const rest = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { child, rest };
}

/** Resident memory of process `pid` in bytes (Linux: `VmRSS` of /proc/{pid}/status). */
export function residentBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}
