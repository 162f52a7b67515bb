output "api_server_private_ip" {
  description = "Private address of the API server."
  value       = aws_instance.api_server.private_ip
}
