# What Cloud Build needs: the image repository and an identity that deploys revisions and
# imports routes (cloudbuild.yaml, infra/cloudbuild/routes.yaml), nothing more.
resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = var.repository
  format        = "DOCKER"
  description   = "meshapps app images (client, proxy, target), tagged by commit"

  depends_on = [google_project_service.api]
}

resource "google_service_account" "deployer" {
  account_id   = "${local.mesh.name}-deployer"
  display_name = "meshapps Cloud Build deployer"

  depends_on = [google_project_service.api]
}

locals {
  deployer_roles = [
    # gcloud run deploy, incl. --[no-]allow-unauthenticated and --no-invoker-iam-check (IAM changes).
    "roles/run.admin",
    # gcloud network-services http-routes import (routes name backend services and the mesh).
    "roles/networkservices.admin",
    "roles/compute.loadBalancerServiceUser",
    # Build logs (options.logging: CLOUD_LOGGING_ONLY) and the uploaded source of `gcloud builds submit`.
    "roles/logging.logWriter",
    "roles/storage.objectViewer",
  ]
}

resource "google_project_iam_member" "deployer" {
  for_each = toset(local.deployer_roles)

  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

resource "google_artifact_registry_repository_iam_member" "deployer" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.repository_id
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.deployer.email}"
}

# Deploying a revision that runs as a service's identity requires actAs on that identity.
resource "google_service_account_iam_member" "deployer_act_as" {
  for_each = local.services

  service_account_id = google_service_account.service[each.key].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer.email}"
}
