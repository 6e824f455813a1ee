# Per mesh destination (every backend service a route names): a serverless NEG pointing at the
# Cloud Run service and a global INTERNAL_SELF_MANAGED backend service with the service's name,
# which is what the HTTPRoute destinations reference.
resource "google_compute_region_network_endpoint_group" "mesh" {
  for_each = local.mesh_destinations

  name                  = "${each.key}-neg"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloud_run_v2_service.service[each.key].name
  }
}

# No health_checks: the API rejects them for serverless NEG backends.
resource "google_compute_backend_service" "mesh" {
  for_each = local.mesh_destinations

  name                  = each.key
  load_balancing_scheme = "INTERNAL_SELF_MANAGED"
  protocol              = "HTTP"

  backend {
    group = google_compute_region_network_endpoint_group.mesh[each.key].id
  }
}
