"""Delivery: approval, the local-time schedule, the channels and exactly-once publishing."""
