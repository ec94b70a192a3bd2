"""A tiny Django project for corskit's Django integration tests."""
