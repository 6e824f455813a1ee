#!/usr/bin/env bash
# Imports rendered HTTPRoutes into the mesh: one `gcloud network-services http-routes import` per
# line "route-name<TAB>file" of `pnpm --silent routes:render --project P --out DIR`. Used by both
# Cloud Build configs; usable by hand. Each command is echoed before it runs.
set -euo pipefail
list="${1:?usage: import-routes.sh <routes.tsv from routes:render> <project-id>}"
project="${2:?usage: import-routes.sh <routes.tsv from routes:render> <project-id>}"

count=0
while IFS=$'\t' read -r name file; do
  [ -n "$name" ] || continue
  cmd=(gcloud network-services http-routes import "$name" --source="$file" --location=global
    --project="$project" --quiet)
  echo "+ ${cmd[*]}"
  "${cmd[@]}"
  count=$((count + 1))
done <"$list"
echo "imported $count routes"
[ "$count" -gt 0 ]
