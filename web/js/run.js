// A run: submit the job, follow its events (queue position, percentage, ETA), show the
// previews as they arrive, cancel.
import { onLanguage, t } from "./i18n.js";

export class Runner {
  constructor(api, errors) {
    this.api = api;
    this.errors = errors;
    this.job = null;
    this.start = document.getElementById("start");
    this.cancelButton = document.getElementById("cancel");
    this.progress = document.getElementById("progress");
    this.status = document.getElementById("status");
    this.preview = document.getElementById("preview");
    this.previewStep = -1;
    this.previewBusy = false;
    this.shown = null; // the last job shown, to say again in another language
    this.cancelButton.addEventListener("click", () => this.cancel());
    onLanguage(() => (this.shown ? this.show(this.shown) : this.say(t("run.ready"))));
  }

  get busy() {
    return this.job !== null;
  }

  /** Runs one job to its end; resolves with {job, blob} on success, else null. */
  async run(form) {
    this.errors.clear();
    this.shown = null;
    this.say(t("run.sending"));
    this.setBusy(true);
    this.progress.value = 0;
    this.progress.hidden = false;
    this.preview.hidden = true;
    this.previewStep = -1;
    try {
      this.job = await this.api.submit(form);
      this.show(this.job);
      const last = await this.api.follow(this.job.id, (job) => this.show(job));
      if (last.status === "succeeded") {
        const blob = await this.api.result(last);
        return { job: last, blob };
      }
      if (last.status === "failed") this.errors.text("run.failed", { detail: last.error || "" });
      return null;
    } catch (error) {
      this.progress.hidden = true;
      this.say("");
      this.errors.show(error);
      return null;
    } finally {
      this.job = null;
      this.setBusy(false);
    }
  }

  async cancel() {
    if (!this.job) return;
    this.cancelButton.disabled = true;
    try {
      this.show(await this.api.cancel(this.job.id));
    } catch (error) {
      this.errors.show(error);
    }
  }

  setBusy(busy) {
    this.start.disabled = busy;
    this.cancelButton.hidden = !busy;
    this.cancelButton.disabled = false;
  }

  say(text) {
    this.status.textContent = text;
    this.status.removeAttribute("data-i18n");
  }

  show(job) {
    this.shown = job;
    const percent = Math.round(job.progress * 100);
    const eta = job.eta_seconds === null ? null : Math.max(1, Math.round(job.eta_seconds));
    if (job.status === "queued") {
      const ahead = job.queue_position ?? 0;
      this.say(eta === null ? t("run.queued", { ahead }) : t("run.queued_eta", { ahead, eta }));
    } else if (job.status === "running") {
      this.progress.value = percent;
      if (job.kind === "clip" && job.total_steps) {
        const frames = { frame: job.step, frames: Math.max(job.step, job.total_steps), percent };
        this.say(eta === null ? t("run.running_clip", frames) : t("run.running_clip_eta", { ...frames, eta }));
      } else {
        this.say(eta === null ? t("run.running", { percent }) : t("run.running_eta", { percent, eta }));
      }
      this.loadPreview(job);
    } else if (job.status === "succeeded") {
      this.progress.value = 100;
      this.preview.hidden = true; // the result takes its place
      this.say(t("run.succeeded"));
    } else if (job.status === "cancelled") {
      this.say(t("run.cancelled"));
      this.progress.hidden = true;
    } else if (job.status === "failed") {
      this.say("");
      this.progress.hidden = true;
    }
  }

  async loadPreview(job) {
    if (this.previewBusy || job.step === this.previewStep || job.step === 0) return;
    this.previewBusy = true;
    this.previewStep = job.step;
    try {
      const blob = await this.api.preview(job);
      if (blob && this.job) {
        if (this.preview.src) URL.revokeObjectURL(this.preview.src);
        this.preview.src = URL.createObjectURL(blob);
        this.preview.hidden = false;
      }
    } catch {
      // a missed preview is not an error: the next step brings another
    } finally {
      this.previewBusy = false;
    }
  }
}
