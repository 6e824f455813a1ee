# APIs the demo needs. disable_on_destroy = false: turning APIs off on destroy races the deletion
# of the resources that use them, and enabled APIs cost nothing.
locals {
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudtrace.googleapis.com",
    "compute.googleapis.com",
    "dns.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "networksecurity.googleapis.com",
    "networkservices.googleapis.com",
    "run.googleapis.com",
    "telemetry.googleapis.com",
    "trafficdirector.googleapis.com",
  ]
}

resource "google_project_service" "api" {
  for_each = toset(local.apis)

  service            = each.key
  disable_on_destroy = false
}
