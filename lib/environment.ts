/**
 * The environment the server, the simulator and the tools read their configuration from: the process
 * environment, on top of a `.env` file in the working directory when there is one.
 *
 * @module
 */
import { type AppConfig, ConfigError, loadConfig } from "../core/config.ts";
import { parseDotEnv } from "../core/dotenv.ts";

/** Process environment over `.env` (real variables win). */
export function readEnvironment(path = ".env"): Record<string, string> {
  let file: Record<string, string> = {};
  try {
    file = parseDotEnv(Deno.readTextFileSync(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { ...file, ...Deno.env.toObject() };
}

/**
 * The configuration from {@linkcode readEnvironment}, or, when a value is wrong, the message naming the
 * variable and the fix on stderr and exit code 1 (for the command-line entry points).
 */
export function loadConfigOrExit(overrides: Record<string, string> = {}): AppConfig {
  return orExit(() => loadConfig({ ...readEnvironment(), ...overrides }));
}

/**
 * `start()`'s result, or, when it throws a {@linkcode ConfigError} (a variable is wrong, or names something
 * that cannot be reached, like `REDIS_URL`), the message on stderr and exit code 1.
 */
export function orExit<T>(start: () => T): T {
  try {
    const result = start();
    if (result instanceof Promise) return result.catch(exitOnConfigError) as T;
    return result;
  } catch (error) {
    return exitOnConfigError(error);
  }
}

function exitOnConfigError(error: unknown): never {
  if (!(error instanceof ConfigError)) throw error;
  console.error(
    `Configuration error: ${error.message}\nSee .env.example and the README's configuration table.`,
  );
  Deno.exit(1);
}
