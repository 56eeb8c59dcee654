import { loadConversation, toPayloads } from "./audio.ts";
import { TrackAnalyzer } from "../core/audio/track_analyzer.ts";
import { CoachingEngine } from "../core/coaching/engine.ts";
import { StreamAligner } from "../core/audio/stream_aligner.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
import { cpuMicros } from "./stats.ts";
const c = await loadConversation();
const agent = toPayloads(c.agent), customer = toPayloads(c.customer);
const S = c.slots; const secs = S * 0.02;
const buf = new Uint8Array(8000);
function best(name: string, f: () => void) {
  const t: number[] = [];
  for (let r = 0; r < 12; r++) { const s = cpuMicros()!; f(); t.push(cpuMicros()! - s); }
  t.sort((a,b)=>a-b);
  console.log(name.padEnd(28), (t[Math.floor(t.length/2)] / secs).toFixed(1), "µs per call-second (median)", (t[0]/secs).toFixed(1), "best");
}
let sink = 0;
best("decode only", () => { for (let k = 0; k < S; k++) { sink += buf.setFromBase64(agent[k]).written + buf.setFromBase64(customer[k]).written; } });
best("2x analyzer", () => { const a = new TrackAnalyzer(), b = new TrackAnalyzer(); for (let k = 0; k < S; k++) { sink += a.processFrame(c.agent[k]).frameLevelDb + b.processFrame(c.customer[k]).frameLevelDb; } });
best("aligner (noop slot)", () => { const al = new StreamAligner({ windowSlots: 10, maxJumpMs: 15000, onSlot: () => { sink++; } }); for (let k = 0; k < S; k++) { al.push(0, k*20, c.agent[k]); al.push(1, k*20, c.customer[k]); } });
best("analyzer+engine", () => { const a = new TrackAnalyzer(), b = new TrackAnalyzer(); const e = new CoachingEngine(); for (let k = 0; k < S; k++) { const s = e.step(k*20, a.processFrame(c.agent[k]), b.processFrame(c.customer[k])); if (s) sink++; } });
best("pipeline no decode", () => { const p = new CallPipeline({ agentTrack: "outbound", onSuggestion: () => {}, onMetrics: () => {} }); for (let k = 0; k < S; k++) { p.ingest("outbound", k*20, c.agent[k]); p.ingest("inbound", k*20, c.customer[k]); } });
best("pipeline + decode", () => { const p = new CallPipeline({ agentTrack: "outbound", onSuggestion: () => {}, onMetrics: () => {} }); for (let k = 0; k < S; k++) { let w = buf.setFromBase64(agent[k]).written; p.ingest("outbound", k*20, buf.subarray(0, w)); w = buf.setFromBase64(customer[k]).written; p.ingest("inbound", k*20, buf.subarray(0, w)); } });
best("pipeline ctor only", () => { for (let i = 0; i < 1; i++) new CallPipeline({ agentTrack: "outbound", onSuggestion: () => {}, onMetrics: () => {} }); });
console.log(sink > 0);
