# A single API server on EC2 (the guide's VM option, for a host running docker compose).
provider "aws" {
  region = var.aws_region
}

# The newest Debian 12 image published by Debian (account 136693071363), not a fixed AMI
# id that only exists in one region.
data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}

resource "aws_security_group" "api" {
  name        = "thehotpotspot-api"
  description = "The Hot Pot Spot API host: HTTPS from the load balancer only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "HTTPS from the load balancer"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = [var.load_balancer_security_group_id]
  }

  egress {
    description = "HTTPS out (registries, S3, chain RPC)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_iam_role" "api" {
  name = "thehotpotspot-api"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# Shell access through SSM Session Manager instead of an open SSH port.
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.api.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "api" {
  name = "thehotpotspot-api"
  role = aws_iam_role.api.name
}

resource "aws_instance" "api_server" {
  ami                    = data.aws_ami.debian.id
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.api.id]
  subnet_id              = var.private_subnet_id
  iam_instance_profile   = aws_iam_instance_profile.api.name
  monitoring             = true
  ebs_optimized          = true

  user_data = file("${path.module}/user_data.sh")

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_size = 100
    volume_type = "gp3"
    encrypted   = true
  }

  tags = {
    Name        = "thehotpotspot-api"
    Environment = "production"
  }
}
