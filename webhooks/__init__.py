"""Webhook subscriptions and the delivery of outbox events."""
