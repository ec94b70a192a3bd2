"""Migrations of the corskit.django app: the tables of its client store."""
