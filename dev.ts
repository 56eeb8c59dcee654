/**
 * `deno task dev`: the server plus islands that rebuild on every change. Deno's `--watch` (see deno.json)
 * restarts this process when server code changes; esbuild watches the islands and what they import itself,
 * so an island edit only needs a browser reload.
 *
 * @module
 */
import { buildIslands } from "./islands/glue.ts";
import { loadConfigOrExit } from "./lib/environment.ts";
import { startServer } from "./server/start.ts";

const config = loadConfigOrExit();
const islands = await buildIslands({ watch: true });
const server = await startServer(config);
console.log(`Dev server on ${server.url}/ (islands rebuild on change; reload the page to see them)`);

const stop = async () => {
  await server.shutdown();
  await islands.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
