/**
 * Summarises a V8 `.cpuprofile` (written by `deno run --cpu-prof`): the functions with the most self
 * time and the most total (inclusive) time, with their source location relative to the project.
 *
 * Run alone: `deno run -A bench/profile.ts FILE.cpuprofile [TOP]`.
 *
 * @module
 */
import { round } from "./stats.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One function's share of the profile. */
export interface HotSpot {
  function: string;
  /** `path:line` (1-based), project-relative when inside the project. */
  location: string;
  self_pct: number;
  total_pct: number;
}

const PROJECT_ROOT = new URL("../", import.meta.url).href;

function locate(frame: ProfileNode["callFrame"]): string {
  if (!frame.url) return "(native)";
  let url = frame.url.startsWith(PROJECT_ROOT) ? frame.url.slice(PROJECT_ROOT.length) : frame.url;
  const npm = url.indexOf("/node_modules/.deno/");
  if (npm >= 0) url = "npm:" + url.slice(npm + 20).split("/node_modules/")[1];
  return `${url}:${frame.lineNumber + 1}`;
}

/** Self and total time per function (keyed by name and location), sorted by self time. */
export function summarizeProfile(profile: CpuProfile, top: number): { sampled_ms: number; spots: HotSpot[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (node: ProfileNode) =>
    `${node.callFrame.functionName || "(anonymous)"}\t${locate(node.callFrame)}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    const node = byId.get(id)!;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at)!);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + dt);
    }
  });
  const spots = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, time]) => {
      const [name, location] = key.split("\t");
      return {
        function: name,
        location,
        self_pct: round((100 * time) / all, 1),
        total_pct: round((100 * (total.get(key) ?? 0)) / all, 1),
      };
    });
  return { sampled_ms: round(all / 1000, 0), spots };
}

/** Reads the newest `.cpuprofile` in `dir` and summarises it. */
export async function summarizeProfileDir(dir: string, top = 25) {
  const files: { name: string; mtime: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".cpuprofile")) {
      files.push({
        name: entry.name,
        mtime: (await Deno.stat(`${dir}/${entry.name}`)).mtime?.getTime() ?? 0,
      });
    }
  }
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: did the server exit through /shutdown?`);
  files.sort((a, b) => b.mtime - a.mtime);
  const file = `${dir}/${files[0].name}`;
  return { file, ...summarizeProfile(JSON.parse(await Deno.readTextFile(file)), top) };
}

if (import.meta.main) {
  const [file, top] = Deno.args;
  if (!file) throw new Error("usage: deno run -A bench/profile.ts FILE.cpuprofile [TOP]");
  const summary = summarizeProfile(JSON.parse(await Deno.readTextFile(file)), Number(top ?? 25));
  console.log(`${summary.sampled_ms} ms sampled`);
  for (const spot of summary.spots) {
    console.log(
      `${spot.self_pct.toFixed(1).padStart(5)}% self ${
        spot.total_pct.toFixed(1).padStart(5)
      }% total  ${spot.function}  ${spot.location}`,
    );
  }
}
