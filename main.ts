/**
 * `deno task start`: builds the page islands, starts the server, and stops cleanly on Ctrl-C / SIGTERM.
 *
 * @module
 */
import { buildIslands } from "./islands/glue.ts";
import { loadConfigOrExit, orExit } from "./lib/environment.ts";
import { startServer } from "./server/start.ts";

if (import.meta.main) {
  const config = loadConfigOrExit();
  await buildIslands();
  const server = await orExit(() => startServer(config));
  console.log(`Live Call Coach is running: open ${server.url}/ (public URL ${server.config.publicUrl})`);
  if (server.accessKeyGenerated) {
    console.log(
      `Access key for viewing the page from other machines (set UI_ACCESS_KEY to keep one): ${server.accessKey}`,
    );
  }
  const stop = async () => {
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
