"""The Hot Pot Spot platform."""
