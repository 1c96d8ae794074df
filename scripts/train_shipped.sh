#!/usr/bin/env bash
# Trains the checkpoints shipped in core/checkpoints/, resuming any that were cut short.
# Logs, samples and resumable states go to runs/; finished checkpoints are copied to
# core/checkpoints/. Needs data/photos (scripts/training_photos.sh). docs/models.md lists
# what each checkpoint saw and how long it took.
#
#   bash scripts/train_shipped.sh [NAME ...]    # default: all of them, in this order
#   DEVICE=cuda bash scripts/train_shipped.sh   # the same runs on a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PHOTOS=${PHOTOS:-data/photos}
DEVICE=${DEVICE:-auto}
mkdir -p runs core/checkpoints

PRESETS=(starry_night the_scream shipwreck woman_with_hat malevich_sportsmen fishing_boats
         dress zigzags)
ALL_PAINTINGS=()
for p in "${PRESETS[@]}"; do ALL_PAINTINGS+=("core/styles/$p.jpg"); done

declare -A RUNS=(
  # One network for the eight presets: a scale and shift per painting in every instance norm.
  [feedforward]="--method feedforward --style ${ALL_PAINTINGS[*]} --iterations 1600 --size 256 --width 24 --style-weight 3 --lr 2e-3 --lr-schedule cosine --clip-grad 1"
  # The same eight, sharpened by a patch discriminator (a head per painting), starting from
  # the feedforward network above.
  [gan]="--method gan --style ${ALL_PAINTINGS[*]} --init-from runs/feedforward.pt --iterations 300 --size 256 --style-weight 3 --lr 5e-4 --lr-schedule cosine --clip-grad 1"
  # One network that reads the painting as an input, over the same eight, at 256 px. It starts
  # from the earlier three-painting network trained at 128 px (transformer_128, the entry below),
  # whose weights do not depend on which paintings it saw.
  [transformer_128]="--method transformer --style core/styles/starry_night.jpg core/styles/the_scream.jpg core/styles/woman_with_hat.jpg --iterations 600 --size 128 --style-weight 2 --lr 1e-3 --clip-grad 1 --lr-schedule cosine"
  [transformer]="--method transformer --style ${ALL_PAINTINGS[*]} --init-from runs/transformer_128.pt --iterations 1000 --size 256 --style-weight 3 --lr 2e-4 --clip-grad 1 --lr-schedule cosine"
)
ORDER=(feedforward gan transformer_128 transformer)

for name in "${@:-${ORDER[@]}}"; do
  out=runs/$name.pt
  resume=()
  [ -f "$out.train" ] && resume=(--resume "$out.train")
  # shellcheck disable=SC2086  # the run's arguments are word-split on purpose
  $PY -m core.training.cli ${RUNS[$name]} --content-dir "$PHOTOS" --out "$out" \
      --batch 4 --seed 0 --device "$DEVICE" --checkpoint-every 50 --sample-every 200 --quiet \
      "${resume[@]}"
  # A run that only prepares another (transformer_128) is not shipped.
  [[ $name == *_128 ]] || cp "$out" core/checkpoints/"$name".pt
  echo "$name done: $(tail -1 runs/$name.csv)"
done
