#!/usr/bin/env bash
# Builds data/styles/, the artworks and textures arbitrary-style networks are trained on, from
# Debian packages. The allow-list, the held-out artworks and how each picture is prepared are
# in scripts/style_data.py; licences and authors in docs/style-data.md.
#
#   bash scripts/style_data.sh [DEST]    # default DEST: data/styles
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" scripts/style_data.py "$@"
