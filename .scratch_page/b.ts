import { buildIslands } from "../islands/glue.ts";
await buildIslands();
console.log([...Deno.readDirSync("static/build")].map((e) => e.name));
