import { loadConfig } from "../core/config.ts";
import { startServer } from "../routes/server.ts";
import { buildScenarios } from "./scenarios.ts";
import { runSimulation } from "./simulation.ts";
const srv = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "warn" }), { hostname: "127.0.0.1" });
try {
  const r = await runSimulation({ scenario: buildScenarios()[(Deno.args[0] ?? "loud") as "loud"], url: srv.url, authToken: srv.authToken, speed: Number(Deno.args[1] ?? 0), print: console.log });
  console.log(r.ok, Math.round(r.wallMs));
} finally { await srv.shutdown(); }
