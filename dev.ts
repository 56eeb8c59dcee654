/**
 * `deno task dev`: rebuild the islands on every change and run the server. Deno's `--watch` (see deno.json)
 * restarts this process when server code changes; esbuild watches the islands itself.
 *
 * @module
 */
import { buildIslands } from "./islands/glue.ts";
import { loadConfig } from "./core/config.ts";
import { startServer } from "./routes/server.ts";

const islands = await buildIslands({ watch: true });
const server = await startServer(loadConfig(Deno.env.toObject()));
console.log(`Dev server on ${server.url} (islands rebuild on change in islands/ and components/)`);

Deno.addSignalListener("SIGINT", async () => {
  await server.shutdown();
  await islands.stop();
  Deno.exit(0);
});
