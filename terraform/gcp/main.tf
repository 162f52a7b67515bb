# A single API server on Google Compute Engine (the guide's GCP option).
provider "google" {
  project = var.project
  region  = var.region
}

resource "google_service_account" "api" {
  account_id   = "thehotpotspot-api"
  display_name = "The Hot Pot Spot API server"
}

resource "google_compute_instance" "api_server" {
  name         = "api-server"
  machine_type = var.machine_type
  zone         = var.zone

  boot_disk {
    initialize_params {
      # Ubuntu 20.04 of the guide is out of standard support; Debian 12 matches the image.
      image = "debian-cloud/debian-12"
      size  = 100
    }
  }

  # No external address: traffic arrives through the load balancer, egress through Cloud NAT.
  network_interface {
    subnetwork = var.subnetwork
  }

  service_account {
    email  = google_service_account.api.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"
    enable-oslogin         = "TRUE"
  }

  labels = {
    app         = "thehotpotspot-api"
    environment = "production"
  }
}
