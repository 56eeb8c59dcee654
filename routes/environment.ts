/**
 * The environment the server, the simulator and the tools read their configuration from: the process
 * environment, on top of a `.env` file in the working directory when there is one.
 *
 * @module
 */
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
