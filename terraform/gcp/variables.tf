variable "project" {
  description = "GCP project id."
  type        = string
  default     = "thehotpotspot"
}

variable "region" {
  description = "GCP region."
  type        = string
  default     = "europe-west1"
}

variable "zone" {
  description = "GCP zone of the instance."
  type        = string
  default     = "europe-west1-b"
}

variable "machine_type" {
  description = "Machine type of the API server."
  type        = string
  default     = "e2-standard-2"
}

variable "subnetwork" {
  description = "Self link or name of the private subnetwork."
  type        = string
}
