"""Notifications: message templates, the transactional outbox and apprise delivery."""
