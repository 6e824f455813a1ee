#!/usr/bin/env bash
# pnpm teardown [--network-later | --network-only] [project-id]
#
# Removes the workshop from a project, in dependency order:
#   1. HTTPRoutes (imported by gcloud, so Terraform does not know them; a route still naming a
#      backend service would block its deletion),
#   2. the Cloud Build triggers from docs/deploy.md,
#   3. everything Terraform created except the VPC: backends → NEGs → load balancer → services →
#      DNS → mesh → service accounts (terraform destroy -target=… of every resource in the state
#      but the network, the subnet and the API enablements they depend on),
#   4. the VPC and its subnet. Cloud Run releases a subnet used by Direct VPC egress only a while
#      after the services are gone (Cloud Run docs: "first delete or redeploy the Cloud Run
#      services… then wait 1 to 2 hours"), so the delete often fails right after step 3. The
#      script tries once; if it fails, it says so and prints the command for later.
#
#   --network-later  steps 1–3 only, then print the command for step 4
#   --network-only   step 4 only (run it 1–2 hours after the first teardown)
#
# Each command is echoed before it runs; already-deleted things are fine.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
project=""
for arg in "$@"; do
  case "$arg" in
    --network-later) mode=network-later ;;
    --network-only) mode=network-only ;;
    -*)
      echo "usage: pnpm teardown [--network-later | --network-only] [project-id]" >&2
      exit 2
      ;;
    *) project="$arg" ;;
  esac
done
project="${project:-$(gcloud config get-value project 2>/dev/null || true)}"
if [ -z "$project" ]; then
  echo "usage: pnpm teardown [--network-later | --network-only] <project-id>   (or: gcloud config set project <project-id>)" >&2
  exit 2
fi
later="pnpm teardown --network-only $project"

run() {
  echo "+ $*"
  "$@"
}

# Deletes that may find nothing to delete (a second teardown, a step that never ran).
tolerant() {
  echo "+ $*"
  "$@" || echo "  (not there or not deletable: continuing)"
}

tf=(terraform -chdir=infra/terraform)

# Step 4: whatever is left in the state (the VPC, its subnet, the API enablements). Returns 1 if
# the subnet is still held.
destroy_network() {
  if run "${tf[@]}" destroy -input=false -auto-approve -var="project_id=$project"; then
    return 0
  fi
  echo
  echo "== The VPC is not deleted yet. If the error above says the subnet is still in use, Cloud Run"
  echo "   has not released it (Direct VPC egress holds it for 1–2 hours after the services are"
  echo "   deleted). Everything else is gone. Later, run:"
  echo "     $later"
  return 1
}

echo "== Tearing down meshapps in project $project"

if [ "$mode" = network-only ]; then
  echo "== 4/4 VPC and subnet"
  run "${tf[@]}" init -input=false
  destroy_network || exit 1
  echo "== Done. Left on purpose: enabled APIs (free) and Cloud Build's source bucket (${project}_cloudbuild)."
  exit 0
fi

echo "== 1/4 HTTPRoutes (the names in infra/routes/*.yaml)"
for route in $(sed -n 's/^name: *//p' infra/routes/*.yaml); do
  tolerant gcloud network-services http-routes delete "$route" --location=global --project="$project" --quiet
done
left="$(gcloud network-services http-routes list --location=global --project="$project" --format='value(name)' 2>/dev/null || true)"
if [ -n "$left" ]; then
  echo "  Routes still in the project (imported by hand under other names?); delete them if they use the mesh:"
  echo "$left" | sed 's/^/    /'
fi

echo "== 2/4 Cloud Build triggers"
for trigger in meshapps-ci meshapps-routes; do
  tolerant gcloud builds triggers delete "$trigger" --project="$project" --quiet
done

echo "== 3/4 Terraform-owned resources except the VPC"
run "${tf[@]}" init -input=false
# Resource addresses (instances folded: -target=x.y covers x.y["k"]). destroy -target removes the
# targets and what depends on them, never what they depend on, so the network, the subnet and the
# API enablements (the network depends on them) stay for step 4.
targets=()
while IFS= read -r address; do
  [ -n "$address" ] && targets+=("-target=$address")
done < <("${tf[@]}" state list 2>/dev/null |
  sed 's/\[.*$//' |
  grep -Ev '^(data\.|google_compute_network\.|google_compute_subnetwork\.|google_project_service\.)' |
  sort -u || true)
if [ "${#targets[@]}" -gt 0 ]; then
  run "${tf[@]}" destroy -input=false -auto-approve -var="project_id=$project" "${targets[@]}"
else
  echo "  (nothing but the VPC in the Terraform state)"
fi

if [ "$mode" = network-later ]; then
  echo "== 4/4 VPC and subnet: later. Cloud Run releases the subnet 1–2 hours after the services are deleted; then run:"
  echo "     $later"
  exit 0
fi

echo "== 4/4 VPC and subnet"
if destroy_network; then
  echo "== Done. Left on purpose: enabled APIs (free) and Cloud Build's source bucket (${project}_cloudbuild)."
else
  echo "== Done except the VPC and subnet (see above)."
fi
