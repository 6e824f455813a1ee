# *.meshapps.internal must resolve to *something* inside the VPC so the caller opens a connection
# that the sidecar can intercept; the HTTPRoute hostnames then pick the destination.
resource "google_dns_managed_zone" "mesh" {
  name       = replace(local.mesh.domain, ".", "-")
  dns_name   = "${local.mesh.domain}."
  visibility = "private"

  private_visibility_config {
    networks {
      network_url = google_compute_network.mesh.id
    }
  }
}

resource "google_dns_record_set" "mesh_wildcard" {
  managed_zone = google_dns_managed_zone.mesh.name
  name         = "*.${google_dns_managed_zone.mesh.dns_name}"
  type         = "A"
  ttl          = 3600
  rrdatas      = [var.mesh_dns_address]
}
