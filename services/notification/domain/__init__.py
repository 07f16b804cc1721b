"""Notification planning: pure rules, no AWS, LINE or Google SDKs (they come in as ports)."""
