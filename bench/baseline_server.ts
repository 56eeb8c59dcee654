/**
 * The bare baseline: a Deno WebSocket server that accepts media sockets on the same path and only
 * `JSON.parse`s each frame. No validation, no analysis, no pages. Same probe and stats port as
 * `server_process.ts`, so the same load generator and ladder measure both.
 *
 * @module
 */
import { serveProbe, ServerProbe } from "./probe.ts";

const probe = new ServerProbe();
let parsed = 0;
let resolvePort: (port: number) => void;
const listening = new Promise<number>((resolve) => resolvePort = resolve);
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: (addr) => resolvePort(addr.port) },
  (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/health") return Response.json({ status: "ok" });
    if (!path.startsWith("/ws/twilio/media/") || request.headers.get("upgrade") !== "websocket") {
      return new Response("not found\n", { status: 404 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
    socket.onmessage = (event) => {
      // The only work: parse, and close after stop like the product does.
      const message = JSON.parse(event.data);
      parsed++;
      if (message.event === "stop") socket.close(1000, "stream stopped");
    };
    probe.watch(socket);
    return response;
  },
);
const port = await listening;
probe.start();
await serveProbe(
  probe,
  { url: `http://127.0.0.1:${port}`, auth_token: "", kind: "baseline" },
  () => ({ parsed }),
  () => server.shutdown(),
);
