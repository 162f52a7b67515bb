"""The chain side of the platform: contract compilation (and, later, deployment and relay)."""
