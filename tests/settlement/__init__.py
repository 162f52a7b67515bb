"""Settlement against a real anvil node started by the tests."""
