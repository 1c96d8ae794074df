#!/usr/bin/env bash
# Trains the checkpoints shipped in core/checkpoints/, resuming any that were cut short.
# Logs, samples and resumable states go to runs/; finished checkpoints are copied to
# core/checkpoints/. Needs data/photos (scripts/training_photos.sh). docs/models.md lists
# what each checkpoint saw.
#
#   bash scripts/train_shipped.sh [NAME ...]    # default: all of them, in this order
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PHOTOS=${PHOTOS:-data/photos}
SIZE=${SIZE:-128}
mkdir -p runs core/checkpoints

declare -A RUNS=(
  [feedforward_starry_night]="--method feedforward --style core/styles/starry_night.jpg --iterations 350 --style-weight 2 --lr 2e-3"
  [feedforward_the_scream]="--method feedforward --style core/styles/the_scream.jpg --iterations 350 --style-weight 2 --lr 2e-3"
  [feedforward_woman_with_hat]="--method feedforward --style core/styles/woman_with_hat.jpg --iterations 300 --style-weight 2 --lr 2e-3"
  [gan_starry_night]="--method gan --style core/styles/starry_night.jpg --iterations 200 --style-weight 2 --lr 2e-3"
  [gan_the_scream]="--method gan --style core/styles/the_scream.jpg --iterations 200 --style-weight 2 --lr 2e-3"
  [transformer]="--method transformer --style core/styles/starry_night.jpg core/styles/the_scream.jpg core/styles/woman_with_hat.jpg --iterations 600 --style-weight 2 --lr 1e-3 --clip-grad 1 --lr-schedule cosine"
)
ORDER=(feedforward_starry_night feedforward_the_scream feedforward_woman_with_hat
       gan_starry_night gan_the_scream transformer)

for name in "${@:-${ORDER[@]}}"; do
  out=runs/$name.pt
  resume=()
  [ -f "$out.train" ] && resume=(--resume "$out.train")
  # shellcheck disable=SC2086  # the run's arguments are word-split on purpose
  $PY -m core.training.cli ${RUNS[$name]} --content-dir "$PHOTOS" --out "$out" \
      --size "$SIZE" --batch 4 --seed 0 --checkpoint-every 50 --sample-every 200 --quiet \
      "${resume[@]}"
  cp "$out" core/checkpoints/"$name".pt
  echo "$name done: $(tail -1 runs/$name.csv)"
done
