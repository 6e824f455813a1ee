# Every topology service as a Cloud Run service. Terraform owns the service, its identity, network
# and scaling; Cloud Build owns revisions (image, deploy metadata), hence ignore_changes.
resource "google_cloud_run_v2_service" "service" {
  # google-beta: `template.service_mesh` exists only in the beta provider.
  provider = google-beta
  for_each = local.services

  name     = each.key
  location = var.region
  # BETA only where a preview feature is used (service_mesh): the API reads launch_stage back as
  # the stage the service actually uses, so BETA on a GA-only service diffs on every plan.
  launch_stage = each.value.mesh ? "BETA" : null
  ingress      = local.ingress[each.value.ingress]

  # The load balancer sends no token: with public_entry = "invoker_iam_disabled" its entry skips
  # the invoker IAM check (no allUsers binding, which Domain Restricted Sharing refuses). Every
  # other service keeps the check: IAM decides who may call whom (demo 3).
  invoker_iam_disabled = each.value.entry == "load-balancer" && var.public_entry == "invoker_iam_disabled"

  # The mesh reaches destinations through their run.app URL, so it must stay enabled.
  default_uri_disabled = false
  # Extra ID-token audiences from the topology (the run.app URL is always accepted).
  custom_audiences = try(each.value.customAudiences, null)
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
        # false = CPU stays allocated after the response (instance-based billing): the telemetry
        # preload exports spans in batches a few seconds later, which request-based billing
        # throttles (demo 5 loses spans). With min instances 1 (the workshop default) that warm
        # instance is billed all the time it is up (docs/deploy.md's cost table).
        cpu_idle = !var.cpu_always_allocated
      }

      # The telemetry preload reads the project from here (no metadata round trip at start).
      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }
      # Cloud Run samples ~0.1 request/s per instance; the workshop wants every demo traced. Entry
      # services (where requests come in) record every request; the rest follow the caller's
      # sampled flag, so a request someone chose not to trace stays untraced end to end.
      env {
        name  = "OTEL_TRACES_SAMPLER"
        value = each.value.entry != "none" ? var.entry_traces_sampler : var.traces_sampler
      }
      # App settings from the topology's env: (e.g. FAIL_PERCENT), the same values pnpm start passes.
      dynamic "env" {
        for_each = try(each.value.env, {})
        content {
          name  = env.key
          value = env.value
        }
      }
    }

    dynamic "vpc_access" {
      for_each = each.value.mesh ? [google_compute_subnetwork.mesh.name] : []
      content {
        # All traffic through the VPC, as the talk deploys it: the hop to an `ingress: internal`
        # destination's run.app address must arrive through the VPC (with private ranges only it
        # would leave through the internet and be refused). Google APIs (spans, tokens) go
        # through Private Google Access on the subnet; nothing here needs Cloud NAT.
        egress = "ALL_TRAFFIC"
        # Names, as the provider's Direct VPC example and the deploy's --network/--subnet use:
        # the API keeps what it is given, so ids here and names there diff on every apply.
        network_interfaces {
          network    = google_compute_network.mesh.name
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
