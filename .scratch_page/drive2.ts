import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/log.ts";
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { startServer } from "../routes/server.ts";
import { answerCall, MediaStream, newCallSid, openSocket, PageSocket } from "../tests/support/fake_twilio.ts";
const srv = await startServer(loadConfig({ PORT: "0", LOG_LEVEL: "error" }), { hostname: "127.0.0.1", log: silentLogger });
const page = await PageSocket.open(srv);
const callSid = newCallSid();
const answer = await answerCall(srv, callSid);
console.log(answer.parameters);
const socket = await openSocket(answer.url, { "x-twilio-signature": signTwilioRequest(srv.authToken, answer.url, {}) });
const stream = new MediaStream(socket, callSid);
stream.connected(); stream.start(answer.parameters);
const script: [string, string, number][] = [["agent", "agent_greeting", 0], ["customer", "customer_complaint", 5000], ["agent", "agent_explain", 6500]];
const total = 15000;
const tracks = { agent: new Uint8Array(total * 8).fill(0xff), customer: new Uint8Array(total * 8).fill(0xff) };
for (const [who, clip, at] of script) { const a = Deno.readFileSync(`tests/fixtures/speech/${clip}.ulaw`); tracks[who as "agent"].set(a.subarray(0, Math.min(a.length, total * 8 - at * 8)), at * 8); }
const agentTrack = answer.parameters.agent_track ?? "outbound";
const customerTrack = agentTrack === "outbound" ? "inbound" : "outbound";
for (let t = 0; t < total; t += 20) {
  stream.media(agentTrack as "outbound", t, tracks.agent.subarray(t * 8, t * 8 + 160));
  stream.media(customerTrack as "inbound", t, tracks.customer.subarray(t * 8, t * 8 + 160));
}
await new Promise((r) => setTimeout(r, 500));
console.log(page.messages.filter((m) => m.type === "suggestion").map((m) => JSON.stringify(m.data)));
stream.stop();
await new Promise((r) => setTimeout(r, 300));
await srv.shutdown();
