variable "project_id" {
  description = "Google Cloud project id to deploy into (an empty project is fine: the APIs are enabled here)."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, the serverless NEGs, the subnet and Artifact Registry. The NEGs must be in the services' region."
  type        = string
  default     = "asia-northeast1"
}

variable "network_name" {
  description = "Name of the VPC the mesh services egress into (Direct VPC egress) and the private DNS zone is bound to."
  type        = string
  default     = "meshapps-vpc"
}

variable "subnet_name" {
  description = "Name of the subnet used for Direct VPC egress."
  type        = string
  default     = "meshapps-subnet"
}

variable "subnet_cidr" {
  description = "Subnet range for Direct VPC egress. Cloud Run needs /26 or larger and takes addresses in blocks of 16 per revision; pnpm infra:check computes what the topology needs at max_instances (docs/deploy.md, \"Subnet size\"). The /20 leaves room to raise max_instances; keep it clear of mesh_dns_address."
  type        = string
  default     = "10.8.0.0/20"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && tonumber(split("/", var.subnet_cidr)[1]) <= 26
    error_message = "subnet_cidr must be an IPv4 CIDR of /26 or larger (Direct VPC egress needs at least 64 addresses)."
  }
}

variable "mesh_dns_address" {
  description = "Unused RFC 1918 address that *.<mesh domain> resolves to. The sidecar captures by address and routes by Host, so nothing listens here; it must lie outside subnet_cidr."
  type        = string
  default     = "10.0.0.1"
}

variable "repository" {
  description = "Artifact Registry Docker repository id for the app images (cloudbuild.yaml's _REPOSITORY)."
  type        = string
  default     = "meshapps"
}

variable "initial_image" {
  description = "Image Terraform creates every service with. Cloud Build deploys the real app images as new revisions afterwards; Terraform ignores image changes from then on."
  type        = string
  default     = "us-docker.pkg.dev/cloudrun/container/hello"
}

variable "public_entry" {
  description = "How the load balancer's entry service (topology entry: load-balancer) is made public, since the load balancer sends no identity token. all_users: grant roles/run.invoker to allUsers (works in a personal project; refused under the Domain Restricted Sharing org policy). invoker_iam_disabled: turn off Cloud Run's invoker IAM check on that service instead (Google's recommended way, and the one that works under Domain Restricted Sharing). Pass the same value to Cloud Build as _PUBLIC_ENTRY."
  type        = string
  default     = "all_users"

  validation {
    condition     = contains(["all_users", "invoker_iam_disabled"], var.public_entry)
    error_message = "public_entry must be all_users or invoker_iam_disabled."
  }
}

variable "participants" {
  description = "Members allowed to invoke the `entry: participant` services with their own ID token, e.g. [\"user:alice@example.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.participants : can(regex("^(user|group|serviceAccount|domain):", m))])
    error_message = "Each participant must be an IAM member such as user:alice@example.com or group:workshop@example.com."
  }
}

variable "min_instances" {
  description = "Minimum instances per service. 1 (default) keeps every service warm for the workshop, as the talk deployed (--min-instances 1): the first request after an idle hour meets no cold start anywhere in the chain (cost: docs/deploy.md, decision 063). After the workshop, scale back to zero: terraform -chdir=infra/terraform apply -var=min_instances=0."
  type        = number
  default     = 1
}

variable "max_instances" {
  description = "Maximum instances per service: a cost guardrail for a workshop, not a capacity plan."
  type        = number
  default     = 3
}

variable "cpu" {
  description = "vCPU limit per instance."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit per instance (the mesh sidecar needs < 50 MB of it)."
  type        = string
  default     = "512Mi"
}

variable "mesh_settle_duration" {
  description = "Wait after creating the mesh and the trafficdirector.client grants before any mesh service is created; without it the sidecar can stay stuck starting."
  type        = string
  default     = "90s"
}

variable "cpu_always_allocated" {
  description = "true (default): CPU stays allocated between requests (instance-based billing, cpu_idle = false), so spans exported a few seconds after the response reach Cloud Trace (demo 5). false: CPU only while serving (request-based billing, cheaper), and spans can arrive late or be lost."
  type        = bool
  default     = true
}

variable "entry_traces_sampler" {
  description = "OTEL_TRACES_SAMPLER for entry services (topology entry != none: the load-balancer and participant entries). always_on starts a sampled trace for every request that comes in (spans past the free tier are billed)."
  type        = string
  default     = "always_on"

  validation {
    condition     = contains(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"], var.entry_traces_sampler)
    error_message = "entry_traces_sampler must be a sampler the telemetry preload knows (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)."
  }
}

variable "traces_sampler" {
  description = "OTEL_TRACES_SAMPLER for every other service. parentbased_always_on honours the caller's sampled flag in traceparent: the entry's decision (or Cloud Run's ~0.1 req/s sampling, or a forced -01) holds for the whole chain."
  type        = string
  default     = "parentbased_always_on"

  validation {
    condition     = contains(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"], var.traces_sampler)
    error_message = "traces_sampler must be a sampler the telemetry preload knows (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)."
  }
}
