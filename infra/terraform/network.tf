# The VPC the mesh services egress into. Private Google Access lets them reach *.run.app
# destinations with ingress=internal (and Google APIs) without external IPs.
resource "google_compute_network" "mesh" {
  name                    = var.network_name
  auto_create_subnetworks = false

  depends_on = [google_project_service.api]
}

resource "google_compute_subnetwork" "mesh" {
  name                     = var.subnet_name
  region                   = var.region
  network                  = google_compute_network.mesh.id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true
}
