import assert from "node:assert/strict";
import { loadConfig } from "../../core/config.ts";
import { silentLogger } from "../../core/log.ts";
import { startServer } from "../../server/start.ts";

/** This machine's own LAN address: a request to it is a real TCP connection from a non-loopback peer. */
const lanAddress = Deno.networkInterfaces()
  .find((iface) => iface.family === "IPv4" && !iface.address.startsWith("127."))?.address;

Deno.test({
  name: "LAN access - a request over the LAN with a loopback Host gets the login page, not the coach",
  ignore: lanAddress === undefined, // a machine with no network interface but loopback cannot run it
  async fn() {
    const server = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }), { log: silentLogger });
    try {
      const port = server.port;
      // fetch() would put the URL's host in the Host header: a raw request can say anything.
      const page = await rawRequest(lanAddress!, port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      assert.match(page, /^HTTP\/1\.1 303 /);
      assert.match(page, /\r\nlocation: \/login\r\n/i);
      const body = JSON.stringify({ to: "+15005550006" });
      const call = await rawRequest(
        lanAddress!,
        port,
        `POST /api/calls HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`,
        body,
      );
      assert.match(
        call,
        /^HTTP\/1\.1 401 /,
        "click-to-call is behind the access key, and local-only besides",
      );

      const local = await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
      assert.equal(local.status, 200, "the same page is open from this machine");
      await local.body?.cancel();
    } finally {
      await server.shutdown();
    }
  },
});

/** Sends one HTTP/1.1 request over a fresh TCP connection and returns the whole response text. */
async function rawRequest(hostname: string, port: number, head: string, body = ""): Promise<string> {
  const conn = await Deno.connect({ hostname, port });
  try {
    await conn.write(new TextEncoder().encode(`${head}Connection: close\r\n\r\n${body}`));
    return await new Response(conn.readable).text();
  } catch (error) {
    conn.close();
    throw error;
  }
}
