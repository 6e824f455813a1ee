# The first line of every Cloud Shell tab in the workshop, and the first line after a reconnect:
#
#   source ~/cloudshell_open/meshapps/workshop-env.sh
#
# A new tab starts in $HOME with Cloud Shell's own Node and no pnpm, and a reconnect (Cloud Shell
# ends a session after about an hour idle) forgets every variable. This puts the shell in the
# clone, puts Node 24 and pnpm first on PATH (.ci/toolchain.sh installs them into .tools/ the
# first time; the clone is in $HOME, so they survive a reconnect) and sets the workshop's
# variables from where they live, so that nothing has to be typed again:
#   PROJECT_ID  gcloud's project (gcloud config set project …), empty without gcloud
#   ELB_IP      the load balancer's address from Terraform's state, empty before terraform apply
#               (Terraform then prints a warning on stdout and exits 0: only an address is kept)
# On a laptop: source it from your clone. docs-check reads the `export` lines below to know which
# variables a step may use without setting them itself (packages/docs-check/README.md).
cd "$(dirname "${BASH_SOURCE[0]}")" || return
. .ci/toolchain.sh || return
export PROJECT_ID="$(gcloud config get-value project 2>/dev/null)"
export ELB_IP="$(terraform -chdir=infra/terraform output -raw load_balancer_ip 2>/dev/null | grep -xE '[0-9.]+|[0-9a-fA-F:]+')"
