# Provider pins. google-beta is needed only for Cloud Run's `template.service_mesh` (beta-only in the
# provider); everything else uses the GA provider. `terraform init` writes .terraform.lock.hcl:
# commit it so every participant gets the same provider builds.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 8.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.13"
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
