// Wiring: language, key prompt, the parts of the screen, and what a run does with them.
import { Api } from "./api.js";
import { Controls, jobForm } from "./controls.js";
import { Gallery } from "./gallery.js";
import { browserLanguage, language, setLanguage } from "./i18n.js";
import { installKeyPrompt } from "./keyprompt.js";
import { ErrorBox } from "./messages.js";
import { PhotoPicker } from "./photo.js";
import { ResultView } from "./result.js";
import { Runner } from "./run.js";

const api = new Api();
const errors = new ErrorBox(document.getElementById("error"));
const controls = new Controls();
const photo = new PhotoPicker(() => {
  errors.clear();
  controls.setClip(photo.clip);
});
const gallery = new Gallery(api, (choice) => {
  errors.clear();
  controls.setChoice(choice);
});
const runner = new Runner(api, errors);
let last = null; // {choice, values, method}: what the shown result was made with

async function paint(values, options = {}) {
  if (!photo.file) return errors.text("run.need_photo");
  const choice = gallery.choice();
  if (!choice) return errors.text("run.need_painting");
  const method = options.method ?? values.method;
  const done = await runner.run(jobForm(photo.file, choice, values, { ...options, method }));
  if (!done) return;
  last = { values, method };
  const fullQuality = method.one_pass && !values.clip && fullQualityMethod() !== null;
  await result.show(photo.url, done.blob, done.job, { fullQuality, photoFile: photo.file });
  document.getElementById("result").scrollIntoView({ behavior: "smooth", block: "nearest" });
}

/** Gatys started from a one-pass result (init=preview), when the service offers it. */
function fullQualityMethod() {
  return controls.methods.find((m) => m.id === "gatys" && m.options.includes("init")) ?? null;
}

function again(factor) {
  if (!last || runner.busy) return;
  controls.setStrength(last.values.strength * factor);
  paint({ ...last.values, strength: Number(controls.strength.value) }, { method: last.method });
}

const result = new ResultView({
  again: () => again(1),
  stronger: () => again(1.5),
  weaker: () => again(1 / 1.5),
  "full-quality": () => {
    if (!last || runner.busy) return;
    paint(last.values, { method: fullQualityMethod(), init: "preview" });
  },
});

document.getElementById("start").addEventListener("click", () => paint(controls.values()));
document.getElementById("language").addEventListener("click", () =>
  setLanguage(language() === "ru" ? "en" : "ru", { remember: true }),
);

async function start() {
  await setLanguage(browserLanguage());
  installKeyPrompt(api);
  try {
    controls.setMethods(await api.methods());
    await gallery.load();
  } catch (error) {
    errors.show(error);
  }
}

start();
