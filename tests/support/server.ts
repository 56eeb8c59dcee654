/**
 * A real server for route tests: on 127.0.0.1 with a port from the OS, every log line it writes collected
 * (parsed), shut down when the test body ends, whether it passed or threw.
 *
 * @module
 */
import { loadConfig } from "../../core/config.ts";
import { createLogger, type LogLevel } from "../../core/log.ts";
import { type RunningServer, startServer } from "../../server/start.ts";

/** One parsed log line. */
export type LogLine = { level: string; event: string; [field: string]: unknown };

/** Runs `run` against a fresh server configured by `env` (on top of `PORT=0`), logging at `level`. */
export async function withLoggedServer(
  env: Record<string, string>,
  run: (server: RunningServer, logs: LogLine[]) => void | Promise<void>,
  level: LogLevel = "info",
): Promise<void> {
  const logs: LogLine[] = [];
  const log = createLogger({ level, now: () => new Date(), write: (line) => logs.push(JSON.parse(line)) });
  const server = await startServer(loadConfig({ PORT: "0", ...env }), { hostname: "127.0.0.1", log });
  try {
    await run(server, logs);
  } finally {
    await server.shutdown();
  }
}
