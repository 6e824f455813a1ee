# External Application Load Balancer in front of the `entry: load-balancer` service:
# serverless NEG → EXTERNAL_MANAGED backend service → URL map → HTTP proxy → forwarding rule.
# HTTP only for the workshop; for HTTPS add a google_compute_managed_ssl_certificate (needs a
# domain), a google_compute_target_https_proxy and a second forwarding rule on port 443.
locals {
  lb_name = "${local.mesh.name}-lb"
}

resource "google_compute_region_network_endpoint_group" "lb" {
  name                  = "${local.lb_entry}-lb-neg"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloud_run_v2_service.service[local.lb_entry].name
  }
}

# Scheme set explicitly: provider 8 changed the default, and a serverless NEG takes no health check.
resource "google_compute_backend_service" "lb" {
  name                  = "${local.lb_entry}-lb"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTP"

  backend {
    group = google_compute_region_network_endpoint_group.lb.id
  }
}

resource "google_compute_url_map" "lb" {
  name            = local.lb_name
  default_service = google_compute_backend_service.lb.id
}

resource "google_compute_target_http_proxy" "lb" {
  name    = local.lb_name
  url_map = google_compute_url_map.lb.id
}

# The forwarding rule is the load balancer's main hourly cost: destroy it after the workshop.
resource "google_compute_global_forwarding_rule" "lb" {
  name                  = local.lb_name
  target                = google_compute_target_http_proxy.lb.id
  port_range            = "80"
  ip_protocol           = "TCP"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
