output "load_balancer_ip" {
  description = "External Application Load Balancer address: curl http://<ip>/call/proxy.meshapps.internal"
  value       = google_compute_global_forwarding_rule.lb.ip_address
}

output "service_urls" {
  description = "run.app URL of every service (the without-mesh demo calls these with an ID token)."
  value       = { for name, s in google_cloud_run_v2_service.service : name => s.uri }
}

output "mesh_id" {
  description = "The mesh routes attach to (projects/<p>/locations/global/meshes/<name>)."
  value       = google_network_services_mesh.mesh.id
}

output "deployer_service_account" {
  description = "Pass to `gcloud builds submit --service-account=` and to the Cloud Build triggers."
  value       = google_service_account.deployer.id
}

output "image_repository" {
  description = "Artifact Registry path the images are pushed to."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "route_import_commands" {
  description = "Renders the routes for this project and imports each one (what Cloud Build does)."
  value = concat(
    ["pnpm --silent routes:render --project ${var.project_id} --out .meshapps/routes"],
    [
      for f, r in local.routes :
      "gcloud network-services http-routes import ${r.name} --source=.meshapps/routes/${f} --location=global --project=${var.project_id} --quiet"
    ],
  )
}
