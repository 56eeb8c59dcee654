import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/log.ts";
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { startServer } from "../routes/server.ts";
import { answerCall, MediaStream, newCallSid, openSocket, PageSocket } from "../tests/support/fake_twilio.ts";
const srv = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }), { hostname: "127.0.0.1", log: silentLogger });
const page = await PageSocket.open(srv);
const callSid = newCallSid();
const answer = await answerCall(srv, callSid);
const socket = await openSocket(answer.url, { "x-twilio-signature": signTwilioRequest(srv.authToken, answer.url, {}) });
const stream = new MediaStream(socket, callSid);
stream.connected(); stream.start(answer.parameters);
for (const name of Deno.args) {
  const audio = Deno.readFileSync(`tests/fixtures/speech/${name}.ulaw`);
  let t = 0;
  for (let i = 0; i + 160 <= audio.length; i += 160, t += 20) {
    stream.media("outbound", t, audio.subarray(i, i + 160));
    stream.media("inbound", t, new Uint8Array(160).fill(0xff));
  }
  await new Promise((r) => setTimeout(r, 500));
  console.log(name, page.messages.filter((m) => m.type === "suggestion").map((m) => JSON.stringify(m.data)));
  const last = page.messages.filter((m) => m.type === "metrics").at(-1);
  console.log(JSON.stringify(last));
}
stream.stop();
await new Promise((r) => setTimeout(r, 300));
await srv.shutdown();
