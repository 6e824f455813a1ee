#!/usr/bin/env bash
# pnpm teardown [project-id] — removes the workshop from a project, in dependency order:
#   1. HTTPRoutes (imported by gcloud, so Terraform does not know them; a route still naming a
#      backend service would block its deletion),
#   2. the Cloud Build triggers from docs/deploy.md,
#   3. everything Terraform created: backends → NEGs → load balancer → services → DNS → mesh →
#      service accounts (terraform destroy follows the dependency graph in reverse).
# Each command is echoed before it runs; already-deleted things are fine.
set -euo pipefail
cd "$(dirname "$0")/.."

project="${1:-$(gcloud config get-value project 2>/dev/null || true)}"
if [ -z "$project" ]; then
  echo "usage: pnpm teardown <project-id>   (or: gcloud config set project <project-id>)" >&2
  exit 2
fi

run() {
  echo "+ $*"
  "$@"
}

# Deletes that may find nothing to delete (a second teardown, a step that never ran).
tolerant() {
  echo "+ $*"
  "$@" || echo "  (not there or not deletable: continuing)"
}

echo "== Tearing down meshapps in project $project"

echo "== 1/3 HTTPRoutes (the names in infra/routes/*.yaml)"
for route in $(sed -n 's/^name: *//p' infra/routes/*.yaml); do
  tolerant gcloud network-services http-routes delete "$route" --location=global --project="$project" --quiet
done
left="$(gcloud network-services http-routes list --location=global --project="$project" --format='value(name)' 2>/dev/null || true)"
if [ -n "$left" ]; then
  echo "  Routes still in the project (imported by hand under other names?); delete them if they use the mesh:"
  echo "$left" | sed 's/^/    /'
fi

echo "== 2/3 Cloud Build triggers"
for trigger in meshapps-ci meshapps-routes; do
  tolerant gcloud builds triggers delete "$trigger" --project="$project" --quiet
done

echo "== 3/3 Terraform-owned resources"
run terraform -chdir=infra/terraform init -input=false
run terraform -chdir=infra/terraform destroy -input=false -auto-approve -var="project_id=$project"

echo "== Done. Left on purpose: enabled APIs (free) and Cloud Build's source bucket (${project}_cloudbuild)."
