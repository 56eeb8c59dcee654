/**
 * One instance of `deno task cluster` (server/cluster_launcher.ts starts them): the server as
 * `deno task start` runs it, on a port shared with the other instances (`SO_REUSEPORT`, so it needs
 * `--unstable-net`), without building the page (the launcher built it once for all).
 *
 * Prints `Instance ID is running on port N` once it listens; stops cleanly on SIGINT and SIGTERM.
 *
 * @module
 */
import { loadConfigOrExit, orExit } from "../lib/environment.ts";
import { startServer } from "./start.ts";

if (import.meta.main) {
  const config = loadConfigOrExit();
  const server = await orExit(() => startServer(config, { reusePort: true }));
  console.log(`Instance ${server.instanceId} is running on port ${server.port}`);
  const stop = async () => {
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
