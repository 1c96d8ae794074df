#!/usr/bin/env bash
# Builds data/photos/, the photographs the networks are trained on, from Debian packages.
# The allow-list, the held-out photos and how each picture is prepared are in
# scripts/training_photos.py; licences and authors in docs/training-data.md.
#
#   bash scripts/training_photos.sh [DEST]    # default DEST: data/photos
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" scripts/training_photos.py "$@"
