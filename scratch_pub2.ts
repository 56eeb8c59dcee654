import { createClient } from "redis";
import { Buffer } from "node:buffer";
import { startRedisServer } from "./server/redis_server.ts";
const redis = await startRedisServer();
const pub = createClient({ url: redis.url });
await pub.connect();
const cpu = () => {
  const u = Deno.cpuUsage();
  return u.user + u.system;
};
const payload = "x".repeat(600);
const buf = Buffer.from(payload);
for (const mode of ["string", "buffer", "string", "buffer"]) {
  const n = 3000;
  const c0 = cpu();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await pub.publish("ch", mode === "string" ? payload : buf); // one at a time: one write each
  }
  console.log(
    mode,
    "cpu µs per publish (await each):",
    ((cpu() - c0) / n).toFixed(1),
    "wall µs",
    ((performance.now() - t0) * 1000 / n).toFixed(1),
  );
}
await pub.close();
await redis.stop();
