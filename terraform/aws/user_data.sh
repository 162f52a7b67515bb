#!/bin/bash
# First boot of the API host: container runtime only; the ansible playbook does the rest.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends docker.io docker-compose
systemctl enable --now docker
