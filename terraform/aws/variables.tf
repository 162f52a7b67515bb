variable "aws_region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "instance_type" {
  description = "EC2 instance type of the API server."
  type        = string
  default     = "t3.large"
}

variable "vpc_id" {
  description = "VPC of the API server."
  type        = string
}

variable "private_subnet_id" {
  description = "Private subnet of the API server."
  type        = string
}

variable "load_balancer_security_group_id" {
  description = "Security group of the load balancer in front of the API."
  type        = string
}
