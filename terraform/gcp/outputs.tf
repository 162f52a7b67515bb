output "api_server_internal_ip" {
  description = "Internal address of the API server."
  value       = google_compute_instance.api_server.network_interface[0].network_ip
}
