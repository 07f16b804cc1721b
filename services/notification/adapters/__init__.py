"""Adapters: the notification service's ports over DynamoDB, SQS, Google and Powertools."""
