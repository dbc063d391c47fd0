"""Outbound messages: SMS gateways, WeChat messages, e-mail; signed links; the outbox jobs."""
