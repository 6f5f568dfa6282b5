// The README's pictures of the views (docs/view-*.png), made from the gallery's motorcycle pair
// on the built page (dist/), CPU backend. Run by hand after a visible change:
//   node scripts/docs-shots.mjs
// (VOC photos never go into docs/: they are not ours to ship; the IoU curve's picture is a plot of
// numbers from two of them.) Then, to keep them small:
//   /usr/bin/python3 -c "from PIL import Image; [Image.open(p).convert('RGB').quantize(256).save(p, optimize=True) for p in __import__('glob').glob('docs/view-*.png')]"
import { open } from "../tests/e2e/harness.mjs";
import { vocJpg, vocPng, waitReady } from "../tests/e2e/featsim.mjs";

const PAIR = "left=motorcycle_left.png&right=motorcycle_right.png&cell=9,7&side=left&block=layer3";
const b = await open({ webgpu: false });
const { page } = b;
const shot = async (hash, ready, file, target = ".panels") => {
  await page.goto("about:blank");
  await page.goto(`${b.url}#${PAIR}&${hash}`);
  await waitReady(page);
  await page.waitForFunction(ready, null, { timeout: 300_000, polling: 250 });
  // The overlays' last frame.
  await page.waitForTimeout(500);
  while (await page.locator(".message .dismiss").count()) await page.locator(".message .dismiss").first().click();
  await page.locator(target).screenshot({ path: `docs/${file}` });
  console.log(`docs/${file}`);
};
await shot("view=pca&pca=joint", () => document.querySelector("#right-pca")?.dataset.explained, "view-pca.png");
await shot("view=pairs&pairs=25", () => document.querySelectorAll("svg.pair-lines line").length > 0, "view-pairs.png");
await shot(
  "targets=astronaut.png,coffee.png,chelsea.png,rocket.jpg",
  () => document.querySelectorAll("#targets .target-heat[data-values]").length === 4,
  "view-targets.png",
  "#targets",
);
await shot("why=1", () => document.querySelector("#why")?.dataset.cosine && !document.querySelector("#why").hidden, "view-why.png", "#why");
// The IoU curve needs a ground truth, which the gallery has not: two VOC cats give it. The figure
// is the page's own PNG download of the plot (numbers only, no VOC pixels).
await page.goto("about:blank");
await page.goto(`${b.url}#block=layer4&mode=segment&method=best&left=&right=`);
await waitReady(page);
await page.setInputFiles("#left-file", vocJpg("2007_000528"));
await page.setInputFiles("#right-file", vocJpg("2007_000876"));
await page.setInputFiles("#left-mask-file", vocPng("2007_000528"));
await page.setInputFiles("#right-mask-file", vocPng("2007_000876"));
await page.waitForFunction(() => document.querySelector("#iou-curve")?.dataset.bestIou, null, { timeout: 300_000, polling: 250 });
const [curve] = await Promise.all([page.waitForEvent("download"), page.click("#curve-png")]);
await curve.saveAs("docs/view-iou-curve.png");
console.log("docs/view-iou-curve.png");
if (b.errors.length) console.error(b.errors);
await b.close();
