"""The benchmark harness behind `./dev bench` (see bench/README.md)."""
