# One runtime identity per topology service (account ids from the topology), and what each needs.
resource "google_service_account" "service" {
  for_each = local.services

  account_id   = each.value.serviceAccount
  display_name = "meshapps ${each.key} (runs as ${each.value.app})"

  depends_on = [google_project_service.api]
}

locals {
  # Every service exports traces (OTLP to telemetry.googleapis.com), logs and metrics.
  telemetry_roles = [
    "roles/cloudtrace.agent",
    "roles/telemetry.tracesWriter",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ]
  telemetry_grants = {
    for pair in setproduct(keys(local.services), local.telemetry_roles) :
    "${pair[0]} ${pair[1]}" => { service = pair[0], role = pair[1] }
  }

  # roles/run.invoker on a service for each caller its `invokers` names.
  service_invokers = merge([
    for name, s in local.services : {
      for caller in s.invokers : "${name} <- ${caller}" => { service = name, caller = caller }
    }
  ]...)

  # The external load balancer adds no identity token, so its entry service is public: through an
  # allUsers binding, or (public_entry = "invoker_iam_disabled", services.tf) with no IAM check.
  public_services = {
    for name, s in local.services : name => s if s.entry == "load-balancer" && var.public_entry == "all_users"
  }

  # Workshop participants call `entry: participant` services with their own ID tokens.
  participant_invokers = {
    for pair in setproduct([for name, s in local.services : name if s.entry == "participant"], var.participants) :
    "${pair[0]} <- ${pair[1]}" => { service = pair[0], member = pair[1] }
  }
}

resource "google_project_iam_member" "telemetry" {
  for_each = local.telemetry_grants

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.service[each.value.service].email}"
}

# Without it the mesh sidecar cannot fetch its configuration and the revision never starts.
resource "google_project_iam_member" "mesh_client" {
  for_each = local.mesh_members

  project = var.project_id
  role    = "roles/trafficdirector.client"
  member  = "serviceAccount:${google_service_account.service[each.key].email}"
}

resource "google_cloud_run_v2_service_iam_member" "service_invoker" {
  for_each = local.service_invokers

  name     = google_cloud_run_v2_service.service[each.value.service].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.service[each.value.caller].email}"
}

resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  for_each = local.public_services

  name     = google_cloud_run_v2_service.service[each.key].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "participant_invoker" {
  for_each = local.participant_invokers

  name     = google_cloud_run_v2_service.service[each.value.service].name
  location = var.region
  role     = "roles/run.invoker"
  member   = each.value.member
}
