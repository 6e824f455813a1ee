# Every topology service as a Cloud Run service. Terraform owns the service, its identity, network
# and scaling; Cloud Build owns revisions (image, deploy metadata), hence ignore_changes.
resource "google_cloud_run_v2_service" "service" {
  # google-beta: `template.service_mesh` exists only in the beta provider.
  provider = google-beta
  for_each = local.services

  name         = each.key
  location     = var.region
  launch_stage = "BETA"
  ingress      = local.ingress[each.value.ingress]

  # The mesh reaches destinations through their run.app URL, so it must stay enabled.
  default_uri_disabled = false
  # A workshop project is torn down with `terraform destroy`.
  deletion_protection = false

  template {
    service_account = google_service_account.service[each.key].email

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = var.initial_image

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        # CPU only while serving requests: idle instances cost (almost) nothing.
        cpu_idle = true
      }

      # The telemetry preload reads the project from here (no metadata round trip at start).
      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }
      # Cloud Run samples ~0.1 request/s per instance; the workshop wants every demo traced.
      env {
        name  = "OTEL_TRACES_SAMPLER"
        value = var.traces_sampler
      }
    }

    dynamic "vpc_access" {
      for_each = each.value.mesh ? [google_compute_subnetwork.mesh.id] : []
      content {
        # Mesh hostnames resolve to a private address, so private ranges are all that must
        # go through the VPC; Google APIs keep their direct path.
        egress = "PRIVATE_RANGES_ONLY"
        network_interfaces {
          network    = google_compute_network.mesh.id
          subnetwork = vpc_access.value
        }
      }
    }

    dynamic "service_mesh" {
      for_each = each.value.mesh ? [google_network_services_mesh.mesh.id] : []
      content {
        mesh = service_mesh.value
      }
    }
  }

  lifecycle {
    ignore_changes = [
      template[0].containers[0].image,
      template[0].revision,
      template[0].labels,
      template[0].annotations,
      client,
      client_version,
    ]
  }

  depends_on = [time_sleep.mesh_settle]
}
