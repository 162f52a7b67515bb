"""Settlement batches, relay state and chain deployments."""
