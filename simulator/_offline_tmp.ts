const SEED = Number(Deno.args[0] ?? 0);
import { SpeechTrack } from "./synth.ts";
import { buildScenarios, SCENARIO_NAMES } from "./scenarios.ts";
import { judgeTips } from "./verdict.ts";
import { CallPipeline } from "../core/session/call_pipeline.ts";
const all = buildScenarios();
for (const name of SCENARIO_NAMES) {
  const sc = all[name];
  const tips: any[] = [];
  const p = new CallPipeline({ agentTrack: "outbound", onSuggestion: (s) => tips.push(s), onMetrics: () => {} });
  const a = new SpeechTrack(sc.agent, { seed: 11 + SEED }), c = new SpeechTrack(sc.customer, { seed: 22 + SEED });
  const t0 = performance.now();
  for (let ms = 0; ms < sc.durationMs; ms += 20) { p.ingest("outbound", ms, a.nextFrame()); p.ingest("inbound", ms, c.nextFrame()); }
  p.flush();
  const v = judgeTips(sc.expect, sc.tolerate, tips);
  console.log(name, (sc.durationMs/1000).toFixed(1)+"s", v.ok ? "OK" : "FAIL", Math.round(performance.now()-t0)+"ms", tips.map((t) => `${t.type}@${(t.streamMs/1000).toFixed(1)} (${t.reason})`).join("; "), v.missing.map((m) => `MISSING ${m.type} [${m.fromMs}-${m.toMs}]`).join(" "));
}
