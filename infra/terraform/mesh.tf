# The Cloud Service Mesh every `mesh: true` service joins; HTTPRoutes attach to it (imported by CD).
resource "google_network_services_mesh" "mesh" {
  name = local.mesh.name

  depends_on = [google_project_service.api]
}

# The mesh and the trafficdirector.client grants take a while to reach the data plane. A service
# created sooner can get a sidecar stuck before it is ready, so every Cloud Run service waits.
resource "time_sleep" "mesh_settle" {
  create_duration = var.mesh_settle_duration

  depends_on = [
    google_network_services_mesh.mesh,
    google_project_iam_member.mesh_client,
  ]
}
