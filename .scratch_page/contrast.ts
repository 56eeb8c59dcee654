import { chromium } from "playwright-core";
const src = await Deno.readTextFile("tests/e2e/page_test.ts");
const fnSrc = src.slice(src.indexOf("function lowContrastText"), src.indexOf('Deno.test("Agent page - a call'));
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--headless"] });
const page = await b.newPage();
await page.setContent(`<p style="color:#999;background:#FFF9C4">low</p><p style="color:#111">ok</p><span style="position:absolute;width:1px;height:1px;overflow:hidden;color:#eee">sr</span>`);
const mod = await import("data:application/typescript," + encodeURIComponent(fnSrc.replace("function", "export function").replace(/: Page/, ": any").replace(": Promise<string[]>", "")));
console.log(await mod.lowContrastText(page));
await b.close();
