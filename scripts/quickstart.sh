#!/usr/bin/env bash
# One command on a fresh machine: set up .venv, index a folder on the embedded default
# (SQLite file + numpy + the offline all-MiniLM-L6-v2 model) and answer a query from it.
#   bash scripts/quickstart.sh [FOLDER] [QUERY]
# Defaults: this repository's docs/ folder and a question about filters. The index lives in
# .ragyard/ragyard.db (override with RAGYARD_DB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
FOLDER=${1:-docs}
QUERY=${2:-"how do I filter search results by metadata?"}
.venv/bin/ragyard index "$FOLDER"
.venv/bin/ragyard search "$QUERY" -k 3
