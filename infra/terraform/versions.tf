# Provider pins: exact versions, so a new release cannot change a default under the workshop (8.0.0
# flipped load_balancing_scheme's default to EXTERNAL_MANAGED, magic-modules f608a6ac93). google and
# google-beta come from the same generator run: keep them on the same version. google-beta is
# needed only for Cloud Run's `template.service_mesh` (beta-only in the provider).
# There is no .terraform.lock.hcl yet (providers cannot be downloaded where this was written): the
# first `terraform init` creates it, and the workshop owner commits it so everyone gets the same
# provider builds (checksums).
# Terraform: 1.5.7 is what Cloud Shell ships (the last MPL release); the configuration keeps to its
# language, and Cloud Build validates with hashicorp/terraform:1.5.7 (decision 062). pnpm
# infra:check refuses a higher floor and any later language feature (a table by version).
terraform {
  required_version = ">= 1.5.7"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "8.4.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "8.4.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.14.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
