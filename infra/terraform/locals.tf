# Everything service-shaped comes from infra/topology.yaml and infra/routes/*.yaml: no list of
# services lives in Terraform, so adding a service to the topology is the whole change.
locals {
  topology = yamldecode(file("${path.module}/../topology.yaml"))
  mesh     = local.topology.mesh
  services = local.topology.services

  # Services that join the mesh: they get the sidecar, Direct VPC egress and trafficdirector.client.
  mesh_members = { for name, s in local.services : name => s if s.mesh }

  # Mesh destinations are exactly the backend services the routes name (last segment of
  # projects/${PROJECT_ID}/locations/global/backendServices/<name>). The route files keep the
  # literal ${PROJECT_ID} placeholder; to yamldecode it is just text.
  route_files = fileset("${path.module}/../routes", "*.{yaml,yml}")
  routes      = { for f in local.route_files : f => yamldecode(file("${path.module}/../routes/${f}")) }
  mesh_destinations = toset(flatten([
    for r in values(local.routes) : [
      for rule in r.rules : [for d in try(rule.action.destinations, []) : basename(d.serviceName)]
    ]
  ]))

  # The one service behind the external Application Load Balancer (one() fails on two).
  lb_entry = one([for name, s in local.services : name if s.entry == "load-balancer"])

  # topology ingress → Cloud Run v2 enum.
  ingress = {
    "all"                               = "INGRESS_TRAFFIC_ALL"
    "internal"                          = "INGRESS_TRAFFIC_INTERNAL_ONLY"
    "internal-and-cloud-load-balancing" = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  }
}
